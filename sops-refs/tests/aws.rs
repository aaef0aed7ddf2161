//! Tests of `ref+awssecrets://` and `ref+awsssm://` against a private `moto_server`: the
//! secrets and parameters are made through the SDK, and the references are resolved with a
//! [`RefEnv`] whose only AWS settings are the variables `AWS_ENDPOINT_URL` (or the
//! per-service `AWS_ENDPOINT_URL_SECRETS_MANAGER` and `AWS_ENDPOINT_URL_SSM`), test
//! credentials and `AWS_REGION`. Needs the feature `aws` and `moto_server` on PATH.

mod support;

use sops_core::store::Format;
use sops_core::tree::{Mapping, Node, Scalar};
use sops_refs::{RefEnv, Resolver};
use support::data;
use support::moto::Moto;

const DB_PASSWORD: &str = "pw-from-secrets-manager";
const API_KEY: &str = "api-key-from-ssm";

/// Secrets and parameters in `eu-west-3` (and one parameter in `us-east-1`); returns the ARN of
/// the `app/db` secret.
fn populate(moto: &Moto) -> String {
    let arn = moto.setup("eu-west-3", |secrets, ssm| async move {
        let db = format!(r#"{{"user": "admin", "password": "{DB_PASSWORD}", "port": 6543}}"#);
        let out = secrets
            .create_secret()
            .name("app/db")
            .secret_string(db)
            .send()
            .await;
        let arn = out.expect("CreateSecret").arn.expect("an ARN");
        secrets
            .create_secret()
            .name("plain-token")
            .secret_string("tok-123")
            .send()
            .await
            .expect("CreateSecret");
        use aws_sdk_ssm::types::ParameterType;
        for (name, value, kind) in [
            ("/app/api-key", API_KEY, ParameterType::SecureString),
            ("/app/config/replicas", "3", ParameterType::String),
            ("/app/config/name", "web", ParameterType::String),
            ("/app/config/deep/level", "two", ParameterType::String),
        ] {
            ssm.put_parameter()
                .name(name)
                .value(value)
                .r#type(kind)
                .send()
                .await
                .expect("PutParameter");
        }
        let again = ssm
            .put_parameter()
            .name("/app/config/name")
            .value("web-v2")
            .overwrite(true);
        again
            .r#type(ParameterType::String)
            .send()
            .await
            .expect("PutParameter");
        arn
    });
    moto.setup("us-east-1", |_, ssm| async move {
        let put = ssm.put_parameter().name("/other/region").value("virginia");
        put.r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .expect("PutParameter");
    });
    arn
}

fn resolve(env: &RefEnv, values: &str) -> Result<Mapping, String> {
    let out = Resolver::new(env)
        .resolve_yaml(values.as_bytes(), &data().join("values.yaml"))
        .map_err(|e| e.to_string())?;
    let tree = Format::Yaml.store().load_plain(&out).expect("YAML out");
    Ok(tree.branches.into_iter().next().unwrap_or_default())
}

fn text<'m>(m: &'m Mapping, key: &str) -> &'m str {
    m.get(key)
        .and_then(Node::as_str)
        .unwrap_or_else(|| panic!("{key} is not a string"))
}

#[test]
fn aws_references_resolve() {
    let moto = Moto::start();
    let arn = populate(&moto);
    // `config: …#/` asks for the parameter /app/config itself; give it one.
    moto.setup("eu-west-3", |_, ssm| async move {
        let put = ssm.put_parameter().name("/app/config").value("whole");
        put.r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .expect("PutParameter");
    });
    let env = moto.env();
    let m = resolve(
        &env,
        &format!(
            "password: ref+awssecrets://app/db#/password\n\
         port: ref+awssecrets://app/db#/port\n\
         user: ref+awssecrets://{arn}#/user\n\
         token: ref+awssecrets://plain-token\n\
         apiKey: ref+awsssm://app/api-key\n\
         absolute: ref+awsssm:///app/api-key?region=eu-west-3\n\
         config: ref+awsssm://app/config#/\n\
         replicas: ref+awsssm://app/config#/replicas\n\
         deep: ref+awsssm://app/config?recursive=true#/deep/level\n\
         name: ref+awsssm://app/config/name\n\
         firstName: ref+awsssm://app/config/name?version=1\n\
         virginia: ref+awsssm://other/region?region=us-east-1\n\
         header: Bearer ref+awsssm://app/api-key+;\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text(&m, "password"), DB_PASSWORD);
    assert!(matches!(
        m.get("port"),
        Some(Node::Scalar(Scalar::Int(6543)))
    ));
    assert_eq!(text(&m, "user"), "admin");
    assert_eq!(text(&m, "token"), "tok-123");
    assert_eq!(text(&m, "apiKey"), API_KEY);
    assert_eq!(text(&m, "absolute"), API_KEY);
    // `#/` is no fragment: GetParameter of /app/config itself.
    assert_eq!(text(&m, "config"), "whole");
    assert_eq!(text(&m, "replicas"), "3");
    assert_eq!(text(&m, "name"), "web-v2");
    assert_eq!(text(&m, "firstName"), "web");
    assert_eq!(text(&m, "deep"), "two");
    assert_eq!(text(&m, "virginia"), "virginia");
    assert_eq!(text(&m, "header"), format!("Bearer {API_KEY};"));
}

#[test]
fn per_service_endpoints_and_missing_secrets() {
    let moto = Moto::start();
    populate(&moto);
    // The global endpoint goes nowhere; each service has its own.
    let env = moto
        .env()
        .with("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .with("AWS_ENDPOINT_URL_SECRETS_MANAGER", &moto.endpoint)
        .with("AWS_ENDPOINT_URL_SSM", &moto.endpoint);
    let m = resolve(
        &env,
        "a: ref+awssecrets://app/db#/password\nb: ref+awsssm://app/api-key\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text(&m, "a"), DB_PASSWORD);
    assert_eq!(text(&m, "b"), API_KEY);
    let cases = [
        (
            "x: ref+awssecrets://no/such#/k\n",
            "ref+awssecrets://no/such#/k",
            "ResourceNotFoundException",
        ),
        (
            "x: ref+awsssm://no/such\n",
            "ref+awsssm://no/such",
            "ParameterNotFound",
        ),
        (
            "x: ref+awsssm://no/such#/k\n",
            "ref+awsssm://no/such#/k",
            "no parameters found under /no/such",
        ),
        (
            "x: ref+awssecrets://app/db#/nope\n",
            "ref+awssecrets://app/db#/nope",
            "no value found for key nope",
        ),
        (
            "x: ref+awssecrets://plain-token#/k\n",
            "ref+awssecrets://plain-token#/k",
            "not a YAML mapping",
        ),
        (
            "x: ref+awsssm://app/api-key?role_arn=arn:aws:iam::1:role/r\n",
            "role_arn",
            "not supported",
        ),
    ];
    for (values, reference, why) in cases {
        let Err(message) = resolve(&env, values) else {
            panic!("{values} resolved")
        };
        assert!(message.contains(reference), "{message}");
        assert!(message.contains(why), "{message}");
        assert!(message.contains("values.yaml"), "{message}");
        assert!(
            !message.contains(DB_PASSWORD) && !message.contains(API_KEY),
            "{message}"
        );
    }
}
