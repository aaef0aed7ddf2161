//! The wrapper's argument pass and hand-off, checked with a fake helm (a shell script that
//! prints its arguments and the content of every pipe or private file it is given): which
//! flags are rewritten and which are not, the `?`, `backend!` and `\,` syntax, exit codes, the
//! environment, where helm is found, and that a decryption error stops the run before helm.

use super::support::{key, run, sops_rs, Output, Sandbox};
use std::path::PathBuf;

/// Prints `ARG:<arg>` per argument, `ENV:HELM_NAMESPACE=…`, and for every `,`/`=`-separated
/// token that is a pipe or lies in a private directory `CONTENT:<content>`, `MODE:<file
/// mode>:<dir mode>` and (FAKE_HELM_REREAD set) `AGAIN:<content read a second time>`.
const FAKE_HELM: &str = r#"
[ -n "$FAKE_HELM_MARK" ] && : > "$FAKE_HELM_MARK"
for a in "$@"; do printf 'ARG:%s\n' "$a"; done
printf 'ENV:HELM_NAMESPACE=%s\n' "$HELM_NAMESPACE"
for a in "$@"; do
  IFS=',='
  for t in $a; do
    case "$t" in
      /dev/fd/*|*/.sops-rs*)
        printf 'CONTENT:%s\n' "$(cat "$t")"
        case "$t" in /dev/fd/*) ;; *) printf 'MODE:%s:%s\n' "$(stat -c %a "$t")" "$(stat -c %a "$(dirname "$t")")" ;; esac
        [ -n "$FAKE_HELM_REREAD" ] && printf 'AGAIN:%s\n' "$(cat "$t")"
        ;;
    esac
  done
  unset IFS
done
exit ${FAKE_HELM_EXIT:-0}
"#;

struct Fake {
    s: Sandbox,
    helm: PathBuf,
    mark: PathBuf,
}

fn fake() -> Fake {
    let s = Sandbox::new();
    let helm = s.script("bin/fake-helm", FAKE_HELM);
    s.write("chart/plain.yaml", "plain: value\n");
    let mark = s.path().join("helm-ran");
    Fake { s, helm, mark }
}

impl Fake {
    fn wrapper(&self, args: &[&str]) -> std::process::Command {
        let mut c = self.s.cmd(sops_rs());
        c.arg("helm")
            .args(args)
            .env("HELM_SECRETS_HELM_PATH", &self.helm)
            .env("FAKE_HELM_MARK", &self.mark);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = run(&mut self.wrapper(args));
        self.s.assert_no_plaintext_on_disk();
        out
    }

    fn helm_ran(&self) -> bool {
        self.mark.exists()
    }
}

fn lines<'a>(out: &'a Output, tag: &str) -> Vec<&'a str> {
    out.stdout
        .lines()
        .filter_map(|l| l.strip_prefix(tag))
        .collect()
}

/// The arguments helm got, with every `/dev/fd/N` written as `<fd>`.
fn args(out: &Output) -> Vec<String> {
    let re = regex::Regex::new(r"/dev/fd/\d+").unwrap();
    lines(out, "ARG:")
        .iter()
        .map(|a| re.replace_all(a, "<fd>").into_owned())
        .collect()
}

#[test]
fn values_flags_are_rewritten_and_other_arguments_kept() {
    let f = fake();
    let out = f.run(&[
        "template",
        "demo",
        ".",
        "-f",
        "credentials.yaml,plain.yaml",
        "--values=credentials.yaml",
        "--set-file",
        "pw=credentials.yaml",
        "--set",
        "x=y",
        "-fcredentials.yaml",
        "-f=plain.yaml",
        "--values",
        "plain.yaml",
        "--api-versions",
        "v1/x",
    ]);
    assert!(out.ok(), "{}", out.describe());
    assert_eq!(
        args(&out),
        [
            "template",
            "demo",
            ".",
            "-f",
            "<fd>,plain.yaml",
            "--values=<fd>",
            "--set-file",
            "pw=<fd>",
            "--set",
            "x=y",
            "-f=<fd>",
            "-f=plain.yaml",
            "--values",
            "plain.yaml",
            "--api-versions",
            "v1/x",
        ]
    );
    assert_eq!(lines(&out, "CONTENT:"), ["password: test"; 4]);
}

#[test]
fn prefixes_and_escaped_commas() {
    let f = fake();
    std::fs::copy(
        f.s.chart().join("credentials.yaml"),
        f.s.chart().join("a,b.yaml"),
    )
    .unwrap();
    let out = f.run(&[
        "template",
        ".",
        "-f",
        "?missing.yaml",
        "-f",
        "noop!credentials.yaml",
        "-f",
        "sops!credentials.yaml",
        "-f",
        r"a\,b.yaml,plain.yaml",
        "--set-file",
        r"k=?sops!a\,b.yaml",
    ]);
    assert!(out.ok(), "{}", out.describe());
    assert_eq!(
        args(&out),
        [
            "template",
            ".",
            "-f",
            "<fd>",
            "-f",
            "credentials.yaml",
            "-f",
            "<fd>",
            "-f",
            "<fd>,plain.yaml",
            "--set-file",
            "k=<fd>"
        ]
    );
    assert_eq!(
        lines(&out, "CONTENT:"),
        ["", "password: test", "password: test", "password: test"]
    );
}

#[test]
fn what_is_not_a_local_encrypted_file_is_left_alone() {
    let f = fake();
    let mut many: Vec<String> = (0..1000)
        .flat_map(|i| ["--api-versions".to_owned(), format!("v{i}/x")])
        .collect();
    many.extend(
        [
            "-f",
            "-",
            "-f",
            "https://example.invalid/v.yaml",
            "--",
            "-f",
            "credentials.yaml",
        ]
        .map(String::from),
    );
    let argv: Vec<&str> = ["template", "."]
        .into_iter()
        .chain(many.iter().map(String::as_str))
        .collect();
    let out = f.run(&argv);
    assert!(out.ok(), "{}", out.describe());
    assert_eq!(args(&out), argv);
}

#[test]
fn a_missing_file_or_a_decryption_error_stops_before_helm() {
    let f = fake();
    let out = f.run(&["template", ".", "-f", "missing.yaml"]);
    assert!(!out.ok() && !f.helm_ran(), "{}", out.describe());
    assert!(
        out.stderr.contains("File does not exist: missing.yaml"),
        "{}",
        out.describe()
    );

    let out = run(f
        .wrapper(&["template", ".", "-f", "plain.yaml,credentials.yaml"])
        .env("SOPS_AGE_KEY_FILE", key("age-bob.txt")));
    assert!(
        !out.ok() && !f.helm_ran() && out.stdout.is_empty(),
        "{}",
        out.describe()
    );
    assert!(
        out.stderr
            .contains("Error while decrypting file: credentials.yaml"),
        "{}",
        out.describe()
    );

    let out = run(f
        .wrapper(&["template", ".", "-f", "vals!credentials.yaml"])
        .env("HELM_SECRETS_ALLOWED_BACKENDS", "sops"));
    assert!(!out.ok() && !f.helm_ran(), "{}", out.describe());
    assert!(out.stderr.contains("not allowed"), "{}", out.describe());
    f.s.assert_no_plaintext_on_disk();
}

#[test]
fn helm_s_exit_code_and_the_environment_pass_through() {
    let f = fake();
    let out = run(f
        .wrapper(&["upgrade", "r", ".", "-f", "credentials.yaml"])
        .env("FAKE_HELM_EXIT", "3")
        .env("HELM_NAMESPACE", "ns1"));
    assert_eq!(out.code, Some(3), "{}", out.describe());
    assert_eq!(lines(&out, "ENV:"), ["HELM_NAMESPACE=ns1"]);
    assert_eq!(lines(&out, "CONTENT:"), ["password: test"]);
    f.s.assert_no_plaintext_on_disk();
}

#[test]
fn helm_is_found_through_helm_path_then_helm_bin_then_path() {
    let f = fake();
    let other = f.s.script("bin2/helm", "echo other-helm\n");
    let on_path = f.s.script("bin3/helm", "echo path-helm\n");
    let path = format!(
        "{}:{}",
        on_path.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    let out = run(f.wrapper(&["version"]).env("HELM_BIN", &other));
    assert!(
        out.stdout.starts_with("ARG:version"),
        "HELM_SECRETS_HELM_PATH first: {}",
        out.describe()
    );
    let out = run(f
        .wrapper(&["version"])
        .env_remove("HELM_SECRETS_HELM_PATH")
        .env("HELM_BIN", &other));
    assert_eq!(
        out.stdout,
        "other-helm\n",
        "then HELM_BIN: {}",
        out.describe()
    );
    let out = run(f
        .wrapper(&["version"])
        .env_remove("HELM_SECRETS_HELM_PATH")
        .env("PATH", path));
    assert_eq!(out.stdout, "path-helm\n", "then PATH: {}", out.describe());
}

#[test]
fn plugin_commands_get_fifos_that_can_be_read_twice() {
    let f = fake();
    let out = run(f
        .wrapper(&["diff", "upgrade", "r", ".", "-f", "credentials.yaml"])
        .env("FAKE_HELM_REREAD", "1"));
    assert!(out.ok(), "{}", out.describe());
    assert_eq!(lines(&out, "CONTENT:"), ["password: test"]);
    assert_eq!(lines(&out, "AGAIN:"), ["password: test"]);
    assert_eq!(lines(&out, "MODE:"), ["600:700"]);
    f.s.assert_no_plaintext_on_disk();
}

#[test]
fn private_files_on_request() {
    let f = fake();
    let out = run(f
        .wrapper(&["template", ".", "--set-file", "k=credentials.yaml"])
        .env("SOPS_RS_HELM_HANDOFF", "file"));
    assert!(out.ok(), "{}", out.describe());
    assert_eq!(lines(&out, "CONTENT:"), ["password: test"]);
    assert_eq!(lines(&out, "MODE:"), ["600:700"]);
    f.s.assert_no_plaintext_on_disk();
}

#[test]
fn global_options_come_before_the_command() {
    let f = fake();
    let out = f.run(&[
        "-q",
        "--backend",
        "noop",
        "--ignore-missing-values",
        "template",
        ".",
        "-f",
        "credentials.yaml,gone.yaml",
    ]);
    assert!(out.ok(), "{}", out.describe());
    assert!(
        !out.stderr.contains("[sops-rs helm]"),
        "quiet: {}",
        out.describe()
    );
    assert_eq!(args(&out), ["template", ".", "-f", "credentials.yaml,<fd>"]);

    let out = f.run(&["template", ".", "-f", "credentials.yaml"]);
    assert!(
        out.stderr
            .contains("[sops-rs helm] Decrypt: credentials.yaml"),
        "{}",
        out.describe()
    );
    let out = run(f
        .wrapper(&["template", ".", "-f", "credentials.yaml"])
        .env("ARGOCD_APP_NAME", "app"));
    assert!(
        !out.stderr.contains("[sops-rs helm]"),
        "quiet under Argo CD: {}",
        out.describe()
    );
}
