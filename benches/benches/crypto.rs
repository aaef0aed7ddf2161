//! Encrypt and decrypt of whole files (walk, AES-GCM per value, MAC) and the MAC alone.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sops_benches::{options, values_tree, CleartextKey};
use sops_core::internal::mac::MacHasher;
use sops_core::internal::{decrypt_file, encrypt_file};
use sops_core::store::Format;
use sops_core::DecryptOptions;

fn crypto(c: &mut Criterion) {
    for (label, services) in [("large", 2000), ("small", 40)] {
        let tree = values_tree(services);
        for format in [Format::Yaml, Format::Json] {
            let plain = format.store().emit_plain(&tree).expect("emits");
            let encrypted =
                encrypt_file(&plain, format, &[&CleartextKey], &options()).expect("encrypts");
            let mut group = c.benchmark_group(format!("file/{label}/{format:?}").to_lowercase());
            group.sample_size(10);
            group.throughput(Throughput::Bytes(plain.len() as u64));
            group.bench_function("encrypt", |b| {
                b.iter(|| {
                    encrypt_file(&plain, format, &[&CleartextKey], &options()).expect("encrypts")
                })
            });
            group.bench_function("decrypt", |b| {
                b.iter(|| {
                    decrypt_file(
                        &encrypted,
                        format,
                        &[&CleartextKey],
                        &DecryptOptions::default(),
                    )
                    .expect("decrypts")
                })
            });
            group.finish();
        }
    }
    let data = vec![b'x'; 2 << 20];
    let mut group = c.benchmark_group("mac");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("sha512_2MiB_in_40_byte_values", |b| {
        b.iter(|| {
            let mut mac = MacHasher::new(false);
            for chunk in data.chunks(40) {
                mac.feed(chunk);
            }
            mac.finish()
        })
    });
    group.finish();
}

criterion_group!(benches, crypto);
criterion_main!(benches);
