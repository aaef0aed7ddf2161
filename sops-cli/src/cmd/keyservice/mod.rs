//! `sops-rs keyservice`: serves this process's master keys (age identities, PGP, AWS KMS
//! credentials) over sops's key service protocol, so that `sops --keyservice URI` and
//! `sops-rs --keyservice URI` elsewhere can wrap and unwrap data keys with them.
//!
//! With `--cache-ttl DURATION` it is also a caching agent: data keys it unwrapped are kept in
//! memory ([`cache`]) and the same wrapped key is answered again without asking the backend, so
//! N processes that share `SOPS_KEYSERVICE=unix://…` ask the KMS once per distinct data key.
//! `--stop` asks a running sops-rs key service to shut down; SIGINT, SIGTERM and SIGHUP shut it
//! down too (a second signal exits at once). At shutdown the cache is zeroized and the unix
//! socket removed.
//!
//! * [`listen`]: the socket (private directory, mode 0600) or TCP port (loopback by default).
//! * [`grpc`]: the gRPC routes; [`dispatch`]: what each request does.

mod cache;
mod dispatch;
mod grpc;
mod listen;

use crate::cli::{KeyServiceArgs, KeyserviceServerArgs};
use crate::error::{codes, CliError};
use crate::keys::KeySources;
use cache::Cache;
use dispatch::{log, Handler};
use listen::Listener;
use sops_keys::keyservice::KeyServiceClient;
use std::sync::Arc;
use std::time::Duration;

/// Runs the key service until it is stopped, or stops another one (`--stop`).
pub(crate) fn run(args: &KeyserviceServerArgs) -> Result<(), CliError> {
    if args.stop {
        return stop(args);
    }
    let ttl = match args.cache_ttl.as_deref() {
        None => None,
        Some(text) => Some(parse_duration(text).ok_or_else(|| {
            CliError::new(
                codes::GENERIC,
                format!("invalid --cache-ttl {text:?}: give a duration such as 90s, 10m or 1h"),
            )
        })?),
    };
    // The service answers with its own keys only, never through another key service (a
    // SOPS_KEYSERVICE naming this very service would loop).
    crate::services::configure(&KeyServiceArgs::default());
    let sources = KeySources::from_env();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(codes::GENERIC, format!("cannot start the key service: {e}")))?;
    runtime.block_on(serve(args, sources, ttl))
}

async fn serve(
    args: &KeyserviceServerArgs,
    sources: KeySources,
    ttl: Option<Duration>,
) -> Result<(), CliError> {
    let listener = listen::bind(&args.network, &args.address)?;
    let shutdown = Arc::new(tokio::sync::Notify::new());
    let on_signal = Arc::clone(&shutdown);
    crate::tempdir::on_first_signal(move || on_signal.notify_one());
    let cache = ttl.map(|ttl| Arc::new(Cache::new(ttl)));
    if let Some(cache) = &cache {
        tokio::spawn(sweep(Arc::clone(cache)));
    }
    let handler = Arc::new(Handler::new(
        sources,
        args.prompt,
        cache.clone(),
        Arc::clone(&shutdown),
    ));
    let service = grpc::KeyServiceServer::new(handler);
    let server = tonic::transport::Server::builder();
    let stopped = async move { shutdown.notified().await };
    let result = match listener {
        Listener::Tcp(tcp, addr) => {
            log("Listening", &[("address", &format!("tcp://{addr}"))]);
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(tcp);
            server
                .serve_with_incoming_shutdown(service, incoming, stopped)
                .await
        }
        Listener::Unix(unix, socket) => {
            let shown = format!("unix://{}", socket.path.display());
            log("Listening", &[("address", &shown)]);
            let incoming = tokio_stream::wrappers::UnixListenerStream::new(unix);
            let result = server
                .serve_with_incoming_shutdown(service, incoming, stopped)
                .await;
            drop(socket);
            result
        }
    };
    if let Some(cache) = &cache {
        cache.clear();
    }
    log("Key service stopped; cached data keys were zeroized", &[]);
    result.map_err(|e| CliError::new(codes::GENERIC, format!("Error running keyservice: {e}")))
}

/// Drops expired data keys regularly (at least every 30 s, or every half TTL when shorter).
async fn sweep(cache: Arc<Cache>) {
    let period = (cache.ttl() / 2).clamp(Duration::from_millis(10), Duration::from_secs(30));
    loop {
        tokio::time::sleep(period).await;
        let (expired, left) = cache.sweep();
        if expired > 0 {
            log(
                "Cached data keys expired and were zeroized",
                &[
                    ("expired", &expired.to_string()),
                    ("cached", &left.to_string()),
                ],
            );
        }
    }
}

/// `--stop`: asks the sops-rs key service at `--network`/`--address` to shut down.
fn stop(args: &KeyserviceServerArgs) -> Result<(), CliError> {
    let uri = match args.network.as_str() {
        "unix" => {
            let path =
                std::path::absolute(&args.address).unwrap_or_else(|_| args.address.clone().into());
            format!("unix://{}", path.display())
        }
        _ => format!("tcp://{}", listen::tcp_address(&args.address)?),
    };
    let client = KeyServiceClient::new(&uri)
        .ok_or_else(|| CliError::new(codes::GENERIC, format!("invalid address {uri}")))?;
    client.stop_agent().map_err(|e| {
        CliError::new(
            codes::GENERIC,
            format!("cannot stop the key service at {uri}: {e}"),
        )
    })
}

/// A Go duration (`300ms`, `1.5h`, `2h45m`; units ns, us, µs, ms, s, m, h); not negative.
fn parse_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * seconds;
    }
    Duration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn go_durations_are_read() {
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration(""), None);
    }
}
