#!/usr/bin/env python3
"""Writes the malformed-input corpus of sops-rs: small hostile or broken files, one per case.

    python3 sops-core/tests/data/malformed/generate.py

The files are committed; rerun the script after changing a case (it rewrites every file and
removes files of cases that no longer exist). The format of a file is its suffix, as sops picks
it: .yaml, .json, .env, .ini, anything else binary. MANIFEST.tsv lists each file with what it
exercises.

Inputs too big to commit (documents nested 100000 deep, megabyte-long values and keys) are built at test
time by test-support/src/malformed.rs, which both test suites use:
sops-core/tests/it/malformed.rs (stores and engine) and sops-cli/tests/it/malformed.rs (the
`sops-rs` binary, `decrypt` and `encrypt` on every file, with a timeout).

What the tests require of every file: no panic, no hang (10 s), and either a refusal with a
message and a sops exit code, or (for `encrypt` of input that is odd but valid) success.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))


def fixture(rel):
    with open(os.path.join(REPO, "fixtures", rel), "rb") as f:
        return f.read()


# The encrypted YAML every "tampered" case starts from: yaml-age.yaml (alice's key, the key the
# CLI tests decrypt with) cut down to the `app` mapping's first values and the sops block. Its
# MAC no longer matches, which does not matter: the broken value comes first in the walk.
def mini_yaml():
    text = fixture("sops-3.11.0/yaml-age.yaml").decode()
    lines = text.splitlines(keepends=True)
    keep = [l for l in lines if l.startswith("app:") or l.startswith("    name:")
            or l.startswith("    replicas:") or l.startswith("    ratio:")]
    sops = text[text.index("sops:\n"):]
    return "".join(keep) + sops


MINI = mini_yaml()
NAME_LINE = re.search(r"    name: (ENC\[[^\]]*\])", MINI).group(1)


def with_value(enc):
    """MINI with app.name's ENC value replaced by `enc`."""
    return MINI.replace(NAME_LINE, enc, 1)


def meta_replace(old, new):
    assert old in MINI, old
    return MINI.replace(old, new, 1)


def env_fixture():
    return fixture("sops-3.11.0/env-age.env").decode()


def ini_fixture():
    return fixture("sops-3.11.0/ini-age.ini").decode()


def json_fixture():
    return fixture("sops-3.11.0/json-age.json").decode()


def enc(data="YQ==", iv="A" * 43 + "=", tag="A" * 22 + "==", typ="str"):
    return f"ENC[AES256_GCM,data:{data},iv:{iv},tag:{tag},type:{typ}]"


BILLION_LAUGHS = "".join(
    f"{k}: &{k} [{', '.join(['*' + p] * 9 if p else ['lol'] * 9)}]\n"
    for p, k in zip([None] + list("abcdefgh"), "abcdefghi")
)

CASES = [
    # --- YAML syntax --------------------------------------------------------------------
    ("yaml-unclosed-flow.yaml", "a: [1, 2\nb: c\n", "flow sequence never closed"),
    ("yaml-bad-indent.yaml", "a: b\n  c: d\n", "mapping value at a wrong indentation"),
    ("yaml-tab-indent.yaml", "a:\n\tb: c\n", "tab used for indentation"),
    ("yaml-unclosed-quote.yaml", 'a: "abc\nb: c\n', "double-quoted scalar never closed"),
    ("yaml-bad-escape.yaml", 'a: "\\q"\n', "unknown escape in a double-quoted scalar"),
    ("yaml-unknown-anchor.yaml", "a: *nope\n", "alias of an anchor that does not exist"),
    ("yaml-duplicate-key.yaml", "a: 1\nb: 2\na: 3\n", "the same key twice in a mapping"),
    ("yaml-sequence-root.yaml", "- a\n- b\n", "a document that is a sequence"),
    ("yaml-scalar-root.yaml", "just a string\n", "a document that is a scalar"),
    ("yaml-non-string-key.yaml", "1: one\ntrue: yes\n", "integer and boolean keys"),
    ("yaml-complex-key.yaml", "? [a, b]\n: c\n", "a sequence as a mapping key"),
    ("yaml-two-roots.yaml", "a: b\n--- x\n- y\n", "second document is not a mapping"),
    ("yaml-directive-junk.yaml", "%YAML 9.9\n%TAG ! !x\n---\na: b\n", "unknown YAML version and a TAG directive"),
    ("yaml-unknown-tags.yaml", "a: !!foo bar\nb: !custom x\nc: !!int notanumber\n", "unknown and mismatched tags"),
    ("yaml-bad-binary.yaml", "a: !!binary '!!!not base64'\n", "!!binary that is not base64"),
    ("yaml-only-comments.yaml", "# nothing\n# here\n", "comments and no document"),
    ("yaml-empty.yaml", "", "an empty file"),
    ("yaml-separators-only.yaml", "---\n---\n...\n", "documents with nothing in them"),
    ("yaml-deep-flow-300.yaml", "a: " + "[" * 300 + "]" * 300 + "\n", "flow sequences nested 300 deep (saphyr stops flow nesting at 255)"),
    ("yaml-deep-block-1001.yaml", "a:\n  " + "- " * 1000 + "x\n", "block sequences nested one level deeper than MAX_DEPTH"),
    ("yaml-alias-bomb.yaml", BILLION_LAUGHS, "billion laughs: nine levels of nine aliases (10^9 strings)"),
    ("yaml-alias-bomb-keys.yaml", "a: &a {x: 1, y: 2, z: 3}\n" + "".join(
        f"k{i}: &k{i} [{', '.join(['*' + ('a' if i == 0 else f'k{i-1}')] * 10)}]\n" for i in range(8)),
     "aliases of mappings, ten per level, eight levels"),
    ("yaml-alias-deep.yaml", "a: &a " + "[" * 250 + "x" + "]" * 250 + "\n" + "".join(
        f"b{i}: &b{i} " + "[" * 200 + ("*a" if i == 0 else f"*b{i-1}") + "]" * 200 + "\n" for i in range(5)),
     "aliases that add depth: 250 levels, then 200 more around each alias (1250 in all)"),
    ("yaml-merge-bomb.yaml", "base: &b {a: 1, b: 2}\n" + "".join(
        f"m{i}: &m{i}\n  <<: [{', '.join(['*b' if i == 0 else f'*m{i-1}'] * 8)}]\n" for i in range(6)),
     "merge keys of aliases of merge keys"),
    ("yaml-huge-int.yaml", "a: 99999999999999999999999999999999\n", "an integer beyond 64 bits"),
    ("yaml-huge-uint.yaml", "a: 18446744073709551615\n", "an integer that fits only uint64 (sops: unknown type)"),
    ("yaml-huge-float.yaml", "a: 1e999\nb: -1e999\nc: .inf\nd: .nan\n", "floats out of range, infinity and NaN"),
    ("yaml-bad-timestamp.yaml", "a: 2001-13-45T99:99:99Z\nb: 99999-01-01\n", "timestamps out of range"),
    ("yaml-nul-byte.yaml", "a: b\x00c\nd: e\n", "a NUL byte inside a plain scalar"),
    ("yaml-nul-in-key.yaml", "\"a\\0b\": c\n", "an escaped NUL in a key"),
    ("yaml-invalid-utf8.yaml", b"a: \xff\xfe\xfd\n", "bytes that are not UTF-8"),
    ("yaml-latin1.yaml", b"caf\xe9: cr\xe8me\n", "Latin-1 text"),
    ("yaml-utf16le-bom.yaml", "\ufeffa: b\nc: d\n".encode("utf-16-le"), "UTF-16 little endian with a BOM"),
    ("yaml-utf16be-bom.yaml", "\ufeffa: b\n".encode("utf-16-be"), "UTF-16 big endian with a BOM"),
    ("yaml-utf32-bom.yaml", "\ufeffa: b\n".encode("utf-32-le"), "UTF-32 with a BOM"),
    ("yaml-bom-only.yaml", "\ufeff", "a UTF-8 BOM and nothing else"),
    ("yaml-control-chars.yaml", "a: \"\x01\x02\x1b[31m\"\n", "control characters in a quoted scalar"),
    ("yaml-lone-cr.yaml", "a: b\rc: d\r", "old Mac line ends"),
    # --- encrypted YAML with broken values ------------------------------------------------
    ("enc-truncated-sops-block.yaml", MINI[: MINI.index("    lastmodified")], "the file cut in the sops block (age armor unterminated)"),
    ("enc-truncated-in-value.yaml", MINI[: MINI.index("    name: ENC[") + 40], "the file cut inside an ENC value"),
    ("enc-bad-base64-data.yaml", with_value(enc(data="!!!!")), "data that is not base64"),
    ("enc-bad-base64-iv.yaml", with_value(enc(iv="%%%%")), "iv that is not base64"),
    ("enc-bad-base64-tag.yaml", with_value(enc(tag="Zm9v!")), "tag that is not base64"),
    ("enc-short-tag.yaml", with_value(enc(tag="Zm9v")), "a 3-byte GCM tag"),
    ("enc-short-iv.yaml", with_value(enc(iv="Zm9v")), "a 3-byte IV"),
    ("enc-unknown-type.yaml", with_value(enc(typ="quux")), "unknown type tag"),
    ("enc-missing-fields.yaml", with_value("ENC[AES256_GCM,data:YQ==]"), "an ENC value without iv, tag, type"),
    ("enc-empty-fields.yaml", with_value("ENC[AES256_GCM,data:,iv:,tag:,type:]"), "an ENC value with empty fields"),
    ("enc-other-cipher.yaml", with_value("ENC[CHACHA20,data:YQ==,iv:YQ==,tag:YQ==,type:str]"), "an unknown cipher name"),
    ("enc-plain-int-value.yaml", MINI.replace(NAME_LINE, "42", 1), "a plaintext int where an encrypted value belongs"),
    ("enc-huge-data.yaml", with_value(enc(data="QUFB" * 5000)), "20 kB of data that fails authentication"),
    # --- metadata with wrong types ---------------------------------------------------------
    ("meta-not-a-mapping.yaml", "a: b\nsops: 3\n", "sops metadata is an int"),
    ("meta-sequence.yaml", "a: b\nsops: [1, 2]\n", "sops metadata is a list"),
    ("meta-empty.yaml", "a: b\nsops: {}\n", "sops metadata is empty"),
    ("meta-lastmodified-int.yaml", meta_replace('lastmodified: "2026-11-24T18:34:29Z"', "lastmodified: 5"), "lastmodified is an int"),
    ("meta-lastmodified-garbage.yaml", meta_replace('lastmodified: "2026-11-24T18:34:29Z"', "lastmodified: yesterday"), "lastmodified is not a time"),
    ("meta-lastmodified-map.yaml", meta_replace('lastmodified: "2026-11-24T18:34:29Z"', "lastmodified: {a: b}"), "lastmodified is a mapping"),
    ("meta-mac-int.yaml", re.sub(r"    mac: ENC\[[^\]]*\]", "    mac: 12", MINI), "mac is an int"),
    ("meta-mac-garbage.yaml", re.sub(r"    mac: ENC\[[^\]]*\]", "    mac: not-a-mac", MINI), "mac is not an ENC value"),
    ("meta-age-not-list.yaml", "a: b\nsops:\n    age: nope\n    lastmodified: \"2026-11-24T18:34:29Z\"\n    mac: \"\"\n    version: 3.11.0\n", "age is a string"),
    ("meta-age-entry-not-map.yaml", "a: b\nsops:\n    age: [1, [2], null]\n    lastmodified: \"2026-11-24T18:34:29Z\"\n    mac: \"\"\n    version: 3.11.0\n", "age entries that are not mappings"),
    ("meta-age-enc-garbage.yaml", re.sub(r"enc: \|\n(            .*\n)+", "enc: not age armor at all\n", MINI), "age enc that is not age armor"),
    ("meta-age-enc-truncated-armor.yaml", re.sub(r"(            -----BEGIN AGE ENCRYPTED FILE-----\n            .*\n)(            .*\n)+", r"\1", MINI), "age armor cut after one line"),
    ("meta-key-groups-wrong.yaml", "a: b\nsops:\n    key_groups: nope\n    lastmodified: \"2026-11-24T18:34:29Z\"\n    mac: \"\"\n    version: 3.11.0\n", "key_groups is a string"),
    ("meta-key-groups-nested-junk.yaml", "a: b\nsops:\n    key_groups:\n        - age: [{recipient: 5, enc: [1]}]\n        - 7\n    shamir_threshold: 2\n    lastmodified: \"2026-11-24T18:34:29Z\"\n    mac: \"\"\n    version: 3.11.0\n", "key groups with wrong field types"),
    ("meta-shamir-threshold-string.yaml", meta_replace("    unencrypted_suffix", "    shamir_threshold: many\n    unencrypted_suffix"), "shamir_threshold is a word"),
    ("meta-shamir-threshold-huge.yaml", meta_replace("    unencrypted_suffix", "    shamir_threshold: 99999999999999999999\n    unencrypted_suffix"), "shamir_threshold beyond 64 bits"),
    ("meta-shamir-threshold-negative.yaml", meta_replace("    unencrypted_suffix", "    shamir_threshold: -3\n    unencrypted_suffix"), "a negative shamir_threshold"),
    ("meta-version-number.yaml", meta_replace("version: 3.11.0", "version: 3.11"), "version is a number"),
    ("meta-no-keys.yaml", "a: b\nsops:\n    lastmodified: \"2026-11-24T18:34:29Z\"\n    mac: \"\"\n    version: 3.11.0\n", "metadata without any key"),
    ("meta-two-partial-rules.yaml", meta_replace("    unencrypted_suffix: _unencrypted", "    unencrypted_suffix: _unencrypted\n    encrypted_regex: ^a$"), "two partial-encryption rules"),
    ("meta-bad-regex.yaml", meta_replace("    unencrypted_suffix: _unencrypted", "    encrypted_regex: \"(unclosed\""), "encrypted_regex that does not compile"),
    ("meta-mac-only-encrypted-string.yaml", meta_replace("    unencrypted_suffix", "    mac_only_encrypted: \"yes please\"\n    unencrypted_suffix"), "mac_only_encrypted is a string"),
    # --- JSON ------------------------------------------------------------------------------
    ("json-trailing-comma.json", '{"a": 1,}', "a comma before the closing brace"),
    ("json-unclosed.json", '{"a": {"b": [1, 2', "objects and arrays never closed"),
    ("json-top-level-array.json", "[1, 2, 3]", "an array at the top level"),
    ("json-top-level-string.json", '"just a string"', "a string at the top level"),
    ("json-bad-escape.json", '{"a": "\\x41"}', "an escape JSON does not have"),
    ("json-lone-surrogate.json", '{"a": "\\ud800", "b": "\\udc00\\ud800"}', "lone UTF-16 surrogates"),
    ("json-raw-newline.json", '{"a": "line\nbreak"}', "a raw newline inside a string"),
    ("json-huge-number.json", '{"a": 1e999, "b": -1e999}', "numbers beyond float64"),
    ("json-long-number.json", '{"a": ' + "9" * 4000 + "}", "an integer of 4000 digits"),
    ("json-bad-number.json", '{"a": 01, "b": 1.}', "numbers JSON does not allow"),
    ("json-nul-byte.json", '{"a": "b\x00c"}', "a raw NUL inside a string"),
    ("json-invalid-utf8.json", b'{"a": "\xff\xfe"}', "bytes that are not UTF-8 in a string"),
    ("json-utf16le-bom.json", '\ufeff{"a": "b"}'.encode("utf-16-le"), "UTF-16 with a BOM"),
    ("json-utf8-bom.json", '\ufeff{"a": "b"}', "a UTF-8 BOM (Go's decoder refuses it)"),
    ("json-empty.json", "", "an empty file"),
    ("json-whitespace.json", " \n\t\n", "only whitespace"),
    ("json-trailing-garbage.json", '{"a": 1} {"b": 2}', "two objects"),
    ("json-deep-1001.json", '{"a":' * 1001 + "1" + "}" * 1001, "objects nested one level deeper than MAX_DEPTH"),
    ("json-sops-wrong-types.json", '{"a": "b", "sops": {"age": 5, "lastmodified": [], "mac": {}, "version": 3}}', "sops metadata fields of the wrong types"),
    ("json-sops-null.json", '{"a": "b", "sops": null}', "sops metadata is null"),
    ("json-enc-bad-base64.json", json_fixture().replace(
        re.search(r'"name": "(ENC\[[^\]]*\])"', json_fixture()).group(1), enc(data="@@@@"), 1),
     "an encrypted JSON file with a value that is not base64"),
    # --- dotenv ----------------------------------------------------------------------------
    ("env-no-equals.env", "JUST_A_KEY\nA=b\n", "a line without ="),
    ("env-nul-byte.env", "A=b\x00c\nB\x00=d\n", "NUL bytes in a value and a key"),
    ("env-invalid-utf8-key.env", b"\xff\xfe=value\n", "a key that is not UTF-8"),
    ("env-utf16le-bom.env", "\ufeffA=b\n".encode("utf-16-le"), "UTF-16 with a BOM"),
    ("env-bad-metadata.env", env_fixture().replace("sops_lastmodified=2026-11-24T18:34:30Z", "sops_lastmodified=yesterday"), "flattened lastmodified that is not a time"),
    ("env-flatten-garbage.env", "A=b\nsops_age__list_x__map_recipient=1\nsops_age__list_99999999999999999999__map_enc=x\nsops___map_=y\nsops_mac=\nsops_lastmodified=2026-11-24T18:34:30Z\n", "flattened metadata keys with unusable indices"),
    ("env-flatten-conflict.env", "A=b\nsops_age=leaf\nsops_age__list_0__map_enc=x\nsops_lastmodified=2026-11-24T18:34:30Z\nsops_mac=\n", "a flattened key that is both a leaf and a list"),
    ("env-flatten-list-bomb.env", "A=b\nsops_lastmodified=2026-11-24T18:34:30Z\nsops_mac=\n" + "".join(
        f"sops_x__list_{i}" + "__list_4096" * 40 + "=v\n" for i in range(64)),
     "flattened lists: 64 chains of 40 nested lists, each 4097 long"),
    ("env-enc-bad-value.env", env_fixture().replace(
        re.search(r"DB_HOST=(ENC\[[^\]]*\])", env_fixture()).group(1), enc(data="****"), 1),
     "an encrypted dotenv file with a value that is not base64"),
    # --- INI -------------------------------------------------------------------------------
    ("ini-unclosed-section.ini", "[section\nkey = value\n", "a section header never closed"),
    ("ini-no-equals.ini", "[s]\njust a line\n", "a line that is neither key nor section"),
    ("ini-nul-byte.ini", "[s]\na = b\x00c\n", "a NUL byte in a value"),
    ("ini-invalid-utf8.ini", b"[s\xff]\nk\xfe = v\xfd\n", "bytes that are not UTF-8"),
    ("ini-unterminated-multiline.ini", '[s]\na = """\nnever closed\n', "a triple-quoted value never closed"),
    ("ini-bad-metadata.ini", ini_fixture().replace("version                    = 3.11.0", "version                    = 3.11\nshamir_threshold = lots"), "a [sops] section with a non-numeric threshold"),
    ("ini-enc-bad-value.ini", ini_fixture().replace(
        re.search(r"host     = (ENC\[[^\]]*\])", ini_fixture()).group(1), enc(iv="~~~~"), 1),
     "an encrypted INI file with an IV that is not base64"),
    # --- binary ----------------------------------------------------------------------------
    ("binary-random.bin", bytes((i * 7919 + 13) % 256 for i in range(512)), "random bytes: not a sops file"),
    ("binary-json-no-data.bin", '{"sops": {"lastmodified": "2026-11-24T18:34:29Z", "mac": "", "age": []}}', "a binary store file without data"),
]


def main():
    names = set()
    manifest = ["file\twhat it exercises\n"]
    for name, content, what in CASES:
        assert name not in names, name
        names.add(name)
        data = content.encode() if isinstance(content, str) else content
        assert len(data) <= 32 * 1024, f"{name} is {len(data)} bytes: build it in test-support/src/malformed.rs instead"
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        manifest.append(f"{name}\t{what}\n")
    keep = names | {"generate.py", "MANIFEST.tsv"}
    for existing in os.listdir(HERE):
        if existing not in keep:
            os.remove(os.path.join(HERE, existing))
    with open(os.path.join(HERE, "MANIFEST.tsv"), "w") as f:
        f.writelines(manifest)
    print(f"{len(CASES)} files written to {os.path.relpath(HERE, REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
