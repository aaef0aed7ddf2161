//! `sops-rs edit` (and `SOPS_EDITOR`/`EDITOR`) against the reference sops 3.11.0.
//!
//! The editor is a small shell script written into the sandbox (and, once, a real `vim` driven
//! through tmux). What sops 3.11.0 does, as verified while writing these tests (each test
//! re-checks it live):
//!
//! * An editor that changes a value: exit 0; the file decrypts to the edited text. `SOPS_EDITOR`
//!   wins over `EDITOR`; `EDITOR` is split like a shell (`"script --flag"` gets `--flag FILE`).
//!   The temporary file is named like the edited file, mode 0600, in a fresh 0700 directory.
//! * An editor that changes nothing: **200** "File has not changed, exiting.", file untouched.
//! * An editor that fails (`false`) or does not exist: **201** "Could not run editor".
//! * An editor that writes invalid YAML while stdin is at end of file: sops logs "Could not load
//!   tree, probably due to invalid syntax. Press a key to return to the editor" and, since the
//!   read of that key returns at once, reopens the editor **forever** (a busy loop that never
//!   exits). sops-rs deliberately gives up instead: exit **2** with the parse error, file
//!   untouched, the editor run once.
//! * A file that does not exist is created from the store's example (`EmitExample` loaded back
//!   with the input store: the INI comment comes out as `; This is an example file.`, the binary
//!   example is the bare welcome text). Left unchanged: **200** and no file is created.
//! * Only the edited value gets a new IV/ciphertext: the diff of the encrypted file is that
//!   value's line plus `lastmodified` and `mac` (sops stashes the IVs of unchanged values).
//! * SIGTERM while the editor is open: sops dies at once and **leaves the plaintext temporary
//!   file behind** in `$TMPDIR`. sops-rs removes it and ends as sops 3.12.2+ does (#2104):
//!   "User canceled operation", exit 1.

use crate::support;

use crate::support::{
    age_key_path, age_recipient, files_under, mode, normalize_encrypted, program_on_path, read,
    set_mode, wait_for_file, Identity, Output, Sandbox, TmuxServer, Tool,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const BOTH: [Tool; 2] = [Tool::Sops, Tool::SopsRs];

fn alice() -> String {
    age_recipient("age-alice")
}

/// What `sops decrypt` prints for `file` (the test fails if it cannot decrypt it).
fn sops_decrypt(sandbox: &Sandbox, file: &Path) -> Vec<u8> {
    sandbox
        .cmd(Tool::Sops)
        .arg("decrypt")
        .arg(file)
        .run()
        .expect_success()
        .stdout
}

/// A copy of `fixtures/<rel>` for `tool`, under `<tool>/<name>` (the name selects the store).
fn copy_for(sandbox: &Sandbox, tool: Tool, rel: &str, name: &str) -> PathBuf {
    std::fs::create_dir_all(sandbox.file(tool.name())).expect("create directory");
    sandbox.copy_fixture(rel, &format!("{}/{name}", tool.name()))
}

fn edit(sandbox: &Sandbox, tool: Tool, file: &Path, editor: &str) -> Output {
    sandbox
        .cmd(tool)
        .arg("edit")
        .arg(file)
        .env("EDITOR", editor)
        .run()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn scripted_editor_change_decrypts_like_sops() {
    let sandbox = Sandbox::new();
    let editor = sandbox.script(
        "replicas.sh",
        "sed -i 's/replicas: 3/replicas: 5/' \"$1\"\n",
    );
    let original = sops_decrypt(&sandbox, &support::fixture("sops-3.11.0/yaml-age.yaml"));
    let expected = text(&original).replace("replicas: 3", "replicas: 5");
    assert_ne!(text(&original), expected, "the fixture has `replicas: 3`");
    let mut layouts = Vec::new();
    for tool in BOTH {
        let file = copy_for(&sandbox, tool, "sops-3.11.0/yaml-age.yaml", "secrets.yaml");
        set_mode(&file, 0o600);
        let out = edit(&sandbox, tool, &file, editor.to_str().unwrap());
        assert_eq!(out.code, Some(0), "{}", out.describe());
        assert!(
            out.stdout.is_empty(),
            "edit prints nothing: {}",
            out.describe()
        );
        support::assert_same_bytes(
            &format!("sops decrypt of the file {} edited", tool.name()),
            expected.as_bytes(),
            &sops_decrypt(&sandbox, &file),
        );
        // Both keep the mode of the file they rewrite.
        assert_eq!(format!("{:o}", mode(&file)), "600", "{}", tool.name());
        layouts.push(normalize_encrypted(&text(&read(&file))));
    }
    support::assert_same_bytes(
        "layout of the edited file (sops vs sops-rs)",
        layouts[0].as_bytes(),
        layouts[1].as_bytes(),
    );
}

#[test]
fn sops_editor_wins_over_editor_and_editor_is_split_like_a_shell() {
    let sandbox = Sandbox::new();
    // The script records its arguments: sops passes `--flag FILE`.
    let editor = sandbox.script(
        "with-args.sh",
        "echo \"$1\" > \"$ARGS_OUT\"\nsed -i 's/replicas: 3/replicas: 4/' \"$2\"\n",
    );
    for tool in BOTH {
        let file = copy_for(&sandbox, tool, "sops-3.11.0/yaml-age.yaml", "a.yaml");
        let args_out = sandbox.file(&format!("{}-args.txt", tool.name()));
        let out = sandbox
            .cmd(tool)
            .arg("edit")
            .arg(&file)
            .env("SOPS_EDITOR", format!("{} --flag", editor.display()))
            .env("EDITOR", "false")
            .env("ARGS_OUT", &args_out)
            .run();
        assert_eq!(out.code, Some(0), "{}", out.describe());
        assert_eq!(text(&read(&args_out)).trim(), "--flag", "{}", tool.name());
        assert!(text(&sops_decrypt(&sandbox, &file)).contains("replicas: 4"));
    }
}

#[test]
fn unchanged_file_is_exit_200_like_sops() {
    let sandbox = Sandbox::new();
    for tool in BOTH {
        let file = copy_for(&sandbox, tool, "sops-3.11.0/yaml-age.yaml", "same.yaml");
        let out = edit(&sandbox, tool, &file, "true");
        assert_eq!(out.code, Some(200), "{}", out.describe());
        assert!(
            out.stderr_text().contains("File has not changed"),
            "{}",
            out.describe()
        );
        support::assert_same_bytes(
            &format!("{}: the file after an unchanged edit", tool.name()),
            &read(&support::fixture("sops-3.11.0/yaml-age.yaml")),
            &read(&file),
        );
    }
}

#[test]
fn editor_failure_is_exit_201_like_sops() {
    let sandbox = Sandbox::new();
    for editor in ["false", "/nonexistent/editor"] {
        for tool in BOTH {
            let file = copy_for(&sandbox, tool, "sops-3.11.0/yaml-age.yaml", "fail.yaml");
            let out = edit(&sandbox, tool, &file, editor);
            assert_eq!(out.code, Some(201), "EDITOR={editor}: {}", out.describe());
            assert!(
                out.stderr_text().contains("Could not run editor"),
                "{}",
                out.describe()
            );
            support::assert_same_bytes(
                "the file after a failed editor",
                &read(&support::fixture("sops-3.11.0/yaml-age.yaml")),
                &read(&file),
            );
        }
    }
}

#[test]
fn invalid_yaml_with_stdin_at_eof_loops_in_sops_and_exits_2_in_sops_rs() {
    let sandbox = Sandbox::new();
    // Counts its runs, then writes invalid YAML.
    let editor = sandbox.script(
        "break-yaml.sh",
        "echo run >> \"$RUNS\"\nprintf 'bad: [unclosed\\n' > \"$1\"\nsleep 0.1\n",
    );
    let runs = |tool: Tool| {
        let path = sandbox.file(&format!("{}-runs.txt", tool.name()));
        let n = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .count();
        (path, n)
    };

    // sops: reopens the editor again and again (stdin is /dev/null); stopped after 3 s.
    let file = copy_for(
        &sandbox,
        Tool::Sops,
        "sops-3.11.0/yaml-age.yaml",
        "bad.yaml",
    );
    let (runs_file, _) = runs(Tool::Sops);
    let (out, killed) = sandbox
        .cmd(Tool::Sops)
        .arg("edit")
        .arg(&file)
        .env("EDITOR", &editor)
        .env("RUNS", &runs_file)
        .spawn()
        .wait_or_kill(Duration::from_secs(3));
    let (_, sops_runs) = runs(Tool::Sops);
    assert!(
        killed && sops_runs >= 2,
        "the reference sops no longer loops on invalid YAML with stdin at EOF (ran the editor \
         {sops_runs} times): {}",
        out.describe()
    );

    // sops-rs: gives up at once with the parse error.
    let file = copy_for(
        &sandbox,
        Tool::SopsRs,
        "sops-3.11.0/yaml-age.yaml",
        "bad.yaml",
    );
    let (runs_file, _) = runs(Tool::SopsRs);
    let out = sandbox
        .cmd(Tool::SopsRs)
        .arg("edit")
        .arg(&file)
        .env("EDITOR", &editor)
        .env("RUNS", &runs_file)
        .run();
    assert_eq!(out.code, Some(2), "{}", out.describe());
    assert!(
        out.stderr_text().contains("invalid syntax"),
        "{}",
        out.describe()
    );
    assert_eq!(runs(Tool::SopsRs).1, 1, "the editor runs once");
    support::assert_same_bytes(
        "the file after a refused edit",
        &read(&support::fixture("sops-3.11.0/yaml-age.yaml")),
        &read(&file),
    );
}

#[test]
fn new_file_from_the_example_matches_sops() {
    let sandbox = Sandbox::new();
    // Keeps a copy of what the editor was shown, then changes the example.
    let editor = sandbox.script(
        "example.sh",
        "cp \"$1\" \"$SEEN\"\nsed -i 's/example_key/edited_key/; s/Welcome/Hello/' \"$1\"\n",
    );
    for ext in ["yaml", "json", "env", "ini", "bin"] {
        let mut seen = Vec::new();
        let mut plain = Vec::new();
        let mut layout = Vec::new();
        for tool in BOTH {
            std::fs::create_dir_all(sandbox.file(tool.name())).unwrap();
            let file = sandbox.file(&format!("{}/new.{ext}", tool.name()));
            let seen_file = sandbox.file(&format!("{}-seen.{ext}", tool.name()));
            let out = sandbox
                .cmd(tool)
                .args(["edit", "--age", &alice()])
                .arg(&file)
                .env("EDITOR", &editor)
                .env("SEEN", &seen_file)
                .run();
            assert_eq!(out.code, Some(0), "new .{ext}: {}", out.describe());
            seen.push(read(&seen_file));
            plain.push(sops_decrypt(&sandbox, &file));
            layout.push(normalize_encrypted(&text(&read(&file))));
        }
        support::assert_same_bytes(
            &format!("the example shown in the editor for a new .{ext} file"),
            &seen[0],
            &seen[1],
        );
        support::assert_same_bytes(
            &format!("sops decrypt of the new .{ext} file"),
            &plain[0],
            &plain[1],
        );
        if ext == "yaml" || ext == "json" {
            support::assert_same_bytes(
                &format!("layout of the new .{ext} file"),
                layout[0].as_bytes(),
                layout[1].as_bytes(),
            );
        }
    }
}

#[test]
fn new_file_left_unchanged_is_exit_200_and_not_created() {
    let sandbox = Sandbox::new();
    for tool in BOTH {
        let file = sandbox.file(&format!("{}-untouched.yaml", tool.name()));
        let out = sandbox
            .cmd(tool)
            .args(["edit", "--age", &alice()])
            .arg(&file)
            .env("EDITOR", "true")
            .run();
        assert_eq!(out.code, Some(200), "{}", out.describe());
        assert!(!file.exists(), "{}: no file may be created", tool.name());
    }
}

#[test]
fn new_file_takes_its_keys_from_sops_yaml() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - path_regex: \\.yaml$\n    age: {},{}\n",
            alice(),
            age_recipient("age-bob")
        ),
    );
    let editor = sandbox.script("append.sh", "echo 'added: true' >> \"$1\"\n");
    let mut results = Vec::new();
    for tool in BOTH {
        let file = sandbox.file(&format!("{}-from-config.yaml", tool.name()));
        let out = edit(&sandbox, tool, &file, editor.to_str().unwrap());
        assert_eq!(out.code, Some(0), "{}", out.describe());
        // bob, named only in .sops.yaml, can decrypt it.
        let bob = sandbox
            .cmd(Tool::Sops)
            .arg("decrypt")
            .arg(&file)
            .identity(Identity::AgeKeyFile(age_key_path("age-bob")))
            .run()
            .expect_success();
        results.push((bob.stdout, normalize_encrypted(&text(&read(&file)))));
    }
    support::assert_same_bytes("decrypted by bob", &results[0].0, &results[1].0);
    support::assert_same_bytes(
        "layout of the new file",
        results[0].1.as_bytes(),
        results[1].1.as_bytes(),
    );
    assert!(text(&results[1].0).ends_with("added: true\n"));
}

/// The 1-based numbers of the lines that differ between two texts of the same line count.
fn changed_lines(before: &str, after: &str) -> Vec<String> {
    let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(b.len(), a.len(), "the edit changed the number of lines");
    b.iter()
        .zip(&a)
        .filter(|(x, y)| x != y)
        .map(|(x, _)| x.split(':').next().unwrap_or("").trim().to_string())
        .collect()
}

#[test]
fn edit_reencrypts_only_the_changed_value() {
    // IV reuse: unchanged values keep their ciphertext, so the encrypted file's diff is the
    // edited value, `lastmodified` and `mac`, as with sops.
    let sandbox = Sandbox::new();
    let plain: String = (1..=50).map(|i| format!("key{i}: value{i}\n")).collect();
    let source = sandbox.write("fifty.yaml", &plain);
    let encrypted = sandbox
        .cmd(Tool::Sops)
        .args(["encrypt", "--age", &alice()])
        .arg(&source)
        .run()
        .expect_success()
        .stdout;
    // lastmodified has a resolution of one second: make sure the edit gets a new one.
    std::thread::sleep(Duration::from_millis(1100));
    let editor = sandbox.script(
        "one-value.sh",
        "sed -i 's/^key25: value25$/key25: changed25/' \"$1\"\n",
    );
    for tool in BOTH {
        std::fs::create_dir_all(sandbox.file(tool.name())).unwrap();
        let file = sandbox.write(&format!("{}/fifty.yaml", tool.name()), &encrypted);
        let out = edit(&sandbox, tool, &file, editor.to_str().unwrap());
        assert_eq!(out.code, Some(0), "{}", out.describe());
        let changed = changed_lines(&text(&encrypted), &text(&read(&file)));
        assert_eq!(
            changed,
            ["key25", "lastmodified", "mac"],
            "{}: lines of the encrypted file that changed",
            tool.name()
        );
        support::assert_same_bytes(
            "sops decrypt after the edit",
            plain
                .replace("key25: value25", "key25: changed25")
                .as_bytes(),
            &sops_decrypt(&sandbox, &file),
        );
    }
}

#[test]
fn sigterm_while_the_editor_is_open_leaves_no_plaintext() {
    const PASSWORD: &str = "s3cr3t-P@ss"; // an encrypted value of the fixture
    let plain = text(&read(&support::fixture("sops-3.11.0/yaml-age.plain.yaml")));
    assert!(plain.contains(PASSWORD));
    for tool in BOTH {
        let sandbox = Sandbox::new();
        let tmp = sandbox.file("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let file = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "secrets.yaml");
        let report = sandbox.file("report");
        let editor = sandbox.script(
            "slow-editor.sh",
            "stat -c '%a' \"$1\" > \"$REPORT.file-mode\"\n\
             stat -c '%a' \"$(dirname \"$1\")\" > \"$REPORT.dir-mode\"\n\
             echo $$ > \"$REPORT.pid\"\n\
             touch \"$REPORT.ready\"\n\
             exec sleep 60 </dev/null >/dev/null 2>&1\n",
        );
        let running = sandbox
            .cmd(tool)
            .arg("edit")
            .arg(&file)
            .env("EDITOR", &editor)
            .env("TMPDIR", &tmp)
            .env("REPORT", &report)
            .spawn();
        let ready = wait_for_file(&sandbox.file("report.ready"), Duration::from_secs(30));
        let editor_pid = std::fs::read_to_string(sandbox.file("report.pid")).unwrap_or_default();
        let killed = Command::new("kill")
            .args(["-TERM", &running.pid().to_string()])
            .status()
            .expect("run kill");
        let out = running.wait(Duration::from_secs(30));
        // The editor (now `sleep`) outlives its parent: stop it.
        if !editor_pid.trim().is_empty() {
            let _ = Command::new("kill")
                .args(["-KILL", editor_pid.trim()])
                .stderr(Stdio::null())
                .status();
        }
        assert!(
            ready,
            "{}: the editor never started: {}",
            tool.name(),
            out.describe()
        );
        assert!(killed.success(), "kill -TERM failed");
        assert_eq!(
            text(&read(&sandbox.file("report.file-mode"))).trim(),
            "600",
            "{}: mode of the temporary file",
            tool.name()
        );
        assert_eq!(
            text(&read(&sandbox.file("report.dir-mode"))).trim(),
            "700",
            "{}: mode of the temporary directory",
            tool.name()
        );
        let left: Vec<PathBuf> = support::entries_under_dir(&tmp);
        let leaking: Vec<PathBuf> = files_under(sandbox.path())
            .into_iter()
            .filter(|p| {
                read(p)
                    .windows(PASSWORD.len())
                    .any(|w| w == PASSWORD.as_bytes())
            })
            .collect();
        match tool {
            Tool::Sops => {
                // Verified fact: sops dies of the signal and leaves the plaintext behind.
                assert_eq!(
                    out.code,
                    None,
                    "sops is killed by SIGTERM: {}",
                    out.describe()
                );
                assert!(
                    !left.is_empty() && !leaking.is_empty(),
                    "the reference sops no longer leaves its temporary file after SIGTERM"
                );
            }
            Tool::SopsRs => {
                assert_eq!(out.code, Some(1), "{}", out.describe());
                assert!(
                    out.stderr_text().contains("User canceled operation"),
                    "{}",
                    out.describe()
                );
                assert!(
                    left.is_empty(),
                    "files left in TMPDIR after SIGTERM: {left:?}"
                );
                assert!(
                    leaking.is_empty(),
                    "the plaintext is still on disk after SIGTERM: {leaking:?}"
                );
            }
        }
        support::assert_same_bytes(
            "the encrypted file after SIGTERM",
            &read(&support::fixture("sops-3.11.0/yaml-age.yaml")),
            &read(&file),
        );
    }
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

#[test]
fn vim_in_a_real_terminal_through_tmux() {
    let tmux = program_on_path("tmux").unwrap_or_else(|| {
        panic!(
            "tmux is not installed: this test drives a real terminal editor (vim) through tmux. \
             Install it with `apt-get install -y tmux vim` (add both to .ci/run)."
        )
    });
    let vim = program_on_path("vim")
        .or_else(|| program_on_path("vi"))
        .unwrap_or_else(|| {
            panic!("neither vim nor vi is installed: `apt-get install -y vim` (add it to .ci/run)")
        });
    for tool in BOTH {
        let sandbox = Sandbox::new();
        let file = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "secrets.yaml");
        let rc = sandbox.file("rc");
        let server = TmuxServer::new(tmux.clone(), sandbox.file("tmux.sock"), "edit");
        // The session's command sets the same environment the harness gives every command.
        let script = format!(
            "cd {dir} && env -i PATH=\"$PATH\" TERM=xterm HOME={home} TMPDIR={dir} \
             SOPS_DISABLE_VERSION_CHECK=1 SOPS_AGE_KEY_FILE={key} \
             EDITOR='{vim} -u NONE -i NONE -N' {program} edit secrets.yaml; echo $? > {rc}",
            dir = shell_quote(sandbox.path()),
            home = shell_quote(&sandbox.file("home")),
            key = shell_quote(&age_key_path("age-alice")),
            vim = vim.display(),
            program = shell_quote(&tool.program()),
            rc = shell_quote(&rc),
        );
        let started = server.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "edit",
            "-x",
            "120",
            "-y",
            "50",
            &script,
        ]);
        assert!(
            started.status.success(),
            "tmux new-session failed: {}",
            text(&started.stderr)
        );
        let mut screen = String::new();
        for _ in 0..300 {
            screen = server.screen();
            if screen.contains("replicas: 3") {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            screen.contains("replicas: 3"),
            "{}: vim did not show the decrypted file; screen:\n{screen}",
            tool.name()
        );
        server.run(&[
            "send-keys",
            "-t",
            "edit",
            ":%s/replicas: 3/replicas: 9/",
            "Enter",
        ]);
        server.run(&["send-keys", "-t", "edit", ":wq", "Enter"]);
        let done = wait_for_file(&rc, Duration::from_secs(30));
        assert!(
            done,
            "{}: the editor session did not end; screen:\n{}",
            tool.name(),
            server.screen()
        );
        assert_eq!(text(&read(&rc)).trim(), "0", "{}: exit code", tool.name());
        let expected = text(&sops_decrypt(
            &sandbox,
            &support::fixture("sops-3.11.0/yaml-age.yaml"),
        ))
        .replace("replicas: 3", "replicas: 9");
        support::assert_same_bytes(
            &format!(
                "sops decrypt after editing with vim through {}",
                tool.name()
            ),
            expected.as_bytes(),
            &sops_decrypt(&sandbox, &file),
        );
        // vim's swap file went with the private directory.
        let left: Vec<PathBuf> = files_under(sandbox.path())
            .into_iter()
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.ends_with(".swp")
                    || name == "secrets.yaml" && p.parent() != Some(sandbox.path())
            })
            .collect();
        if tool == Tool::SopsRs {
            assert!(left.is_empty(), "left behind: {left:?}");
        }
    }
}
