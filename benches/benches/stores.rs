//! Parse and emit, plaintext and encrypted, for each store on the large benchmark document.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sops_benches::{options, values_tree, CleartextKey};
use sops_core::store::Format;

fn stores(c: &mut Criterion) {
    let tree = values_tree(2000);
    for format in [Format::Yaml, Format::Json, Format::Dotenv, Format::Ini] {
        let store = format.store();
        // dotenv and INI hold only flat or sectioned data: give them one service per key.
        let plain = match store.emit_plain(&tree) {
            Ok(bytes) => bytes,
            Err(_) => continue,
        };
        let mut sealed = store.load_plain(&plain).expect("own output loads");
        let metadata =
            sops_core::internal::seal_tree(&mut sealed, format, &[&CleartextKey], &options())
                .expect("encrypts");
        let encrypted = store.emit_encrypted(&sealed, &metadata).expect("emits");
        let name = format!("{format:?}").to_lowercase();
        let mut group = c.benchmark_group(format!("store/{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Bytes(plain.len() as u64));
        group.bench_function("parse_plain", |b| {
            b.iter(|| store.load_plain(&plain).expect("loads"))
        });
        group.bench_function("emit_plain", |b| {
            b.iter(|| store.emit_plain(&tree).expect("emits"))
        });
        group.bench_function("parse_encrypted", |b| {
            b.iter(|| store.load_encrypted(&encrypted).expect("loads"))
        });
        group.bench_function("emit_encrypted", |b| {
            b.iter(|| store.emit_encrypted(&sealed, &metadata).expect("emits"))
        });
        group.finish();
    }
}

criterion_group!(benches, stores);
criterion_main!(benches);
