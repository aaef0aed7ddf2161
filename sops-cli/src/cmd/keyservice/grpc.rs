//! The gRPC service in front of [`Handler`]: `KeyService.Encrypt`, `KeyService.Decrypt` and
//! sops-rs's `Stop`, routed by path and decoded with `prost` (tonic's manual service form: no
//! generated code, no router).

use super::dispatch::Handler;
use sops_keys::keyservice::proto::{
    DecryptRequest, DecryptResponse, Empty, EncryptRequest, EncryptResponse, DECRYPT_PATH,
    ENCRYPT_PATH, SERVICE_NAME, STOP_PATH,
};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tonic::body::Body;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The service, cloned by tonic for each connection.
#[derive(Clone)]
pub(crate) struct KeyServiceServer {
    handler: Arc<Handler>,
}

impl KeyServiceServer {
    pub(crate) fn new(handler: Arc<Handler>) -> Self {
        KeyServiceServer { handler }
    }
}

impl NamedService for KeyServiceServer {
    const NAME: &'static str = SERVICE_NAME;
}

impl tower_service::Service<http::Request<Body>> for KeyServiceServer {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let handler = Arc::clone(&self.handler);
        match request.uri().path() {
            ENCRYPT_PATH => Box::pin(async move {
                let mut grpc = Grpc::new(ProstCodec::<EncryptResponse, EncryptRequest>::default());
                Ok(grpc.unary(Encrypt(handler), request).await)
            }),
            DECRYPT_PATH => Box::pin(async move {
                let mut grpc = Grpc::new(ProstCodec::<DecryptResponse, DecryptRequest>::default());
                Ok(grpc.unary(Decrypt(handler), request).await)
            }),
            STOP_PATH => Box::pin(async move {
                let mut grpc = Grpc::new(ProstCodec::<Empty, Empty>::default());
                Ok(grpc.unary(Stop(handler), request).await)
            }),
            other => {
                let status = Status::unimplemented(format!("unknown method {other}"));
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

struct Encrypt(Arc<Handler>);

impl UnaryService<EncryptRequest> for Encrypt {
    type Response = EncryptResponse;
    type Future = BoxFuture<Result<Response<EncryptResponse>, Status>>;

    fn call(&mut self, request: Request<EncryptRequest>) -> Self::Future {
        let handler = Arc::clone(&self.0);
        Box::pin(async move {
            handler
                .encrypt(request.into_inner())
                .await
                .map(Response::new)
        })
    }
}

struct Decrypt(Arc<Handler>);

impl UnaryService<DecryptRequest> for Decrypt {
    type Response = DecryptResponse;
    type Future = BoxFuture<Result<Response<DecryptResponse>, Status>>;

    fn call(&mut self, request: Request<DecryptRequest>) -> Self::Future {
        let handler = Arc::clone(&self.0);
        Box::pin(async move {
            handler
                .decrypt(request.into_inner())
                .await
                .map(Response::new)
        })
    }
}

struct Stop(Arc<Handler>);

impl UnaryService<Empty> for Stop {
    type Response = Empty;
    type Future = BoxFuture<Result<Response<Empty>, Status>>;

    fn call(&mut self, _: Request<Empty>) -> Self::Future {
        self.0.stop();
        Box::pin(async { Ok(Response::new(Empty {})) })
    }
}
