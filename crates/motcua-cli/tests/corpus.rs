//! `motcua verify` on the third-party corpus (`tests/corpus`, made by openssl and pyHanko): every
//! signed PDF, attached CMS and detached CMS gets the indication and sub-indication written in
//! `expected.toml`, with the case's trust folder as `--trust-roots`, and the exit code says
//! whether every signature passed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use motcua_tests::corpus::{self, assert_all_agree, Case, Kind};

#[test]
fn every_corpus_signature_on_the_command_line() {
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for case in corpus::load().cases {
        if case.kind == Kind::Certificate {
            continue;
        }
        let (passed, printed) = verify(&case);
        let got = outcomes(&printed);
        for (index, expected) in case.signature.iter().enumerate() {
            checked += 1;
            let got = got.get(index).map_or("(missing)", String::as_str);
            if got != expected.outcome() {
                mismatches.push(format!(
                    "{} signature {} ({}): got {got}, expected {}",
                    case.id,
                    index + 1,
                    expected.reason,
                    expected.outcome()
                ));
            }
        }
        let all_pass = case
            .signature
            .iter()
            .all(|signature| signature.outcome() == "TOTAL_PASSED");
        if passed != all_pass || got.len() != case.signature.len() {
            mismatches.push(format!(
                "{}: exit status {passed}, {} signatures printed\n{printed}",
                case.id,
                got.len()
            ));
        }
    }
    assert_all_agree("motcua verify", &mismatches, checked, 36);
}

/// What changed after a signature is listed, as the modification analysis found it.
#[test]
fn changes_after_signing_are_named() {
    let case = corpus::load()
        .cases
        .into_iter()
        .find(|case| case.id == "pdf-annotation-added")
        .expect("the annotation case");
    let (passed, printed) = verify(&case);
    assert!(!passed, "{printed}");
    assert!(
        printed.contains("changed after: annotation (Text) added on page 1"),
        "{printed}"
    );
}

/// Runs `motcua verify` on the case; whether it exited 0, and what it printed.
fn verify(case: &Case) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_motcua"));
    command
        .arg("verify")
        .arg("--trust-roots")
        .arg(corpus::path(&case.trust))
        .env_remove("MOTCUA_TRUST_ROOTS_DIR");
    match &case.content {
        Some(content) => command
            .arg("--detached")
            .arg(corpus::path(content))
            .arg(corpus::path(&case.file)),
        None => command.arg(corpus::path(&case.file)),
    };
    let output = command.output().unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// `INDICATION/SUB` of each `Signature N (…): INDICATION / SUB` line, in order.
fn outcomes(printed: &str) -> Vec<String> {
    printed
        .lines()
        .filter(|line| line.starts_with("Signature "))
        .filter_map(|line| line.rsplit_once("): "))
        .map(|(_, verdict)| {
            let mut parts = verdict.split(" / ");
            let indication = parts.next().unwrap_or_default();
            corpus::outcome(indication, parts.next())
        })
        .collect()
}
