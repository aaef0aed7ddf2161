//! `sops-rs git setup`: `--dry-run` changes nothing, a run configures both drivers and the
//! attributes of the paths the creation rules match, and a second run changes nothing.

use super::{alice, Repo};

const RULES: &str = r#"creation_rules:
  - path_regex: ^secrets/
    age: AGE
  - path_regex: \.enc\.(json|env)$
    age: AGE
  - path_regex: \d+\.yaml$
    age: AGE
  - age: AGE
"#;

#[test]
fn setup_shows_its_changes_and_is_idempotent() {
    let repo = Repo::bare();
    repo.write(".sops.yaml", &RULES.replace("AGE", &alice()));

    let dry = repo.sops(&["git", "setup", "--dry-run"]).stdout;
    for line in [
        "would set merge.sops.driver = ",
        "would set diff.sopsdiffer.textconv = ",
        "would add `/secrets/** merge=sops diff=sopsdiffer` for rule #0",
        "would add `*.enc.json merge=sops diff=sopsdiffer` for rule #1",
        "would add `*.enc.env merge=sops diff=sopsdiffer` for rule #1",
        r"creation rule #2: path_regex \d+\.yaml$ has no glob form",
        "creation rule #3: no path_regex",
        "dry run: nothing written",
    ] {
        assert!(dry.contains(line), "{line:?} in:\n{dry}");
    }
    assert!(!repo.path(".gitattributes").exists());
    assert!(
        !repo
            .run("git".as_ref(), &["config", "--get", "merge.sops.driver"])
            .ok
    );

    let first = repo.sops(&["git", "setup"]).stdout;
    assert!(first.contains("6 change(s) made"), "{first}");
    let attributes = repo.read(".gitattributes");
    assert_eq!(
        attributes,
        "# SOPS files (sops-rs git setup, from .sops.yaml creation rules)\n\
         /secrets/** merge=sops diff=sopsdiffer\n\
         *.enc.json merge=sops diff=sopsdiffer\n\
         *.enc.env merge=sops diff=sopsdiffer\n"
    );
    let driver = repo.git(&["config", "--get", "merge.sops.driver"]).stdout;
    assert!(
        driver.trim_end().ends_with(" git merge-driver %O %A %B %P"),
        "{driver}"
    );

    let second = repo.sops(&["git", "setup"]).stdout;
    assert!(second.contains("nothing to change"), "{second}");
    assert_eq!(repo.read(".gitattributes"), attributes);

    let attrs = repo
        .git(&[
            "check-attr",
            "merge",
            "diff",
            "--",
            "secrets/a/b.yaml",
            "x/y.enc.json",
            "z.yaml",
        ])
        .stdout;
    assert!(attrs.contains("secrets/a/b.yaml: merge: sops"), "{attrs}");
    assert!(attrs.contains("x/y.enc.json: diff: sopsdiffer"), "{attrs}");
    assert!(attrs.contains("z.yaml: merge: unspecified"), "{attrs}");
}
