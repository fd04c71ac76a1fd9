#![allow(clippy::unwrap_used)]

use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::{SessionState, UserType};
use cryptoki::types::AuthPin;
use motcua_pki::cms::{prepare_with_padding, Signer};
use motcua_pki::testpki::{KeySpec, TestPki};
use motcua_pki::Certificate;

use super::generate::{generate, KeyKind};
use super::tokens::fresh_softhsm_token;
use super::*;

/// A key generated on a fresh token and certified by the test CA from its request.
fn certified(label: &str, kind: KeyKind, pki: &TestPki) -> (DeviceKey, Certificate) {
    let device = fresh_softhsm_token(label, "unit-key").unwrap();
    let spec = pki.organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang");
    let subject = spec.subject.to_der().unwrap();
    let generated = generate(&device, kind, &subject).unwrap();
    assert_eq!(generated.key_id_hex.len(), 32);
    let certificate = pki.issue_from_csr(&generated.csr_der, &spec).unwrap();
    (device, certificate)
}

/// Whether a CMS signature made through `signer` verifies: assembly checks the signature with
/// the certificate, as for every signer outside the process.
fn signs_cms(signer: &DeviceSigner) {
    let digest = motcua_pki::cms::sha256(b"content");
    let prepared = prepare_with_padding(
        &digest,
        signer.certificate(),
        chrono::Utc::now(),
        true,
        signer.rsa_padding(),
    )
    .unwrap();
    let signature = signer.sign(&prepared.to_be_signed).unwrap();
    let assembled = motcua_pki::cms::assemble(&prepared, &signature, signer.certificate(), &[]);
    assert!(assembled.is_ok(), "{assembled:?}");
}

#[test]
fn keys_generated_on_the_token_sign_with_every_scheme_and_never_leave_it() {
    let pki = TestPki::new(KeySpec::EcP256, chrono::Utc::now()).unwrap();
    for (label, kind, pss) in [
        ("gen-ec", KeyKind::EcP256, false),
        ("gen-rsa", KeyKind::Rsa(2048), false),
        ("gen-pss", KeyKind::Rsa(2048), true),
    ] {
        let (mut device, certificate) = certified(label, kind, &pki);
        device.rsa_pss = pss;
        let signer = DeviceSigner::new(device.clone(), certificate).unwrap();
        signer.probe().unwrap();
        signs_cms(&signer);
        assert_eq!(
            signer.rsa_padding(),
            if pss {
                RsaPadding::Pss
            } else {
                RsaPadding::Pkcs1v15
            }
        );
        assert_key_stays_on_token(&device);
    }
}

#[test]
fn dropping_the_last_signer_of_a_key_closes_its_sessions_before_it_returns() {
    let pki = TestPki::new(KeySpec::EcP256, chrono::Utc::now()).unwrap();
    let (device, certificate) = certified("closed-on-drop", KeyKind::EcP256, &pki);
    // A token logs the process out when its last session closes: a session opened beside the
    // signer's shows whether the signer's is still open.
    let state_beside = || {
        let module = modules::module(&device.module).unwrap();
        let slot = pool::find_token(&module, &device).unwrap();
        let session = modules::open_ro_session(&module, slot).unwrap();
        session.get_session_info().unwrap().session_state()
    };
    let signer = DeviceSigner::new(device.clone(), certificate).unwrap();
    signer.probe().unwrap();
    assert_eq!(state_beside(), SessionState::RoUser);
    drop(signer);
    assert_eq!(state_beside(), SessionState::RoPublic);
}

/// Reading the private key's value fails; the token says it was never extractable.
fn assert_key_stays_on_token(device: &DeviceKey) {
    let module = modules::module(&device.module).unwrap();
    let slot = pool::find_token(&module, device).unwrap();
    let session = modules::open_ro_session(&module, slot).unwrap();
    let pin = PinSource::parse(&device.pin_source)
        .unwrap()
        .read()
        .unwrap();
    let _ = session.login(UserType::User, Some(&AuthPin::from(pin)));
    let key = pool::find_private_key(&session, device).unwrap();
    for secret in [
        AttributeType::Value,
        AttributeType::PrivateExponent,
        AttributeType::Prime1,
    ] {
        let read = session.get_attributes(key, &[secret]).unwrap_or_default();
        assert!(
            read.iter().all(|attribute| match attribute {
                Attribute::Value(v) | Attribute::PrivateExponent(v) | Attribute::Prime1(v) =>
                    v.is_empty(),
                _ => true,
            }),
            "{secret:?} was readable"
        );
    }
    let flags = session
        .get_attributes(
            key,
            &[
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::NeverExtractable,
                AttributeType::Class,
            ],
        )
        .unwrap();
    assert!(flags.contains(&Attribute::Sensitive(true)), "{flags:?}");
    assert!(flags.contains(&Attribute::Extractable(false)), "{flags:?}");
    assert!(
        flags.contains(&Attribute::NeverExtractable(true)),
        "{flags:?}"
    );
    assert!(flags.contains(&Attribute::Class(ObjectClass::PRIVATE_KEY)));
}

#[test]
fn a_wrong_pin_is_a_clear_error_and_the_corrected_pin_is_used_next_time() {
    let pki = TestPki::new(KeySpec::EcP256, chrono::Utc::now()).unwrap();
    let (device, certificate) = certified("pin-change", KeyKind::EcP256, &pki);
    let PinSource::File(pin_file) = PinSource::parse(&device.pin_source).unwrap() else {
        panic!("the test token's PIN is in a file");
    };
    let right_pin = std::fs::read_to_string(&pin_file).unwrap();
    std::fs::write(&pin_file, "99999999\n").unwrap();
    let signer = DeviceSigner::new(device.clone(), certificate).unwrap();
    let refused = signer.probe().unwrap_err();
    assert!(matches!(refused, DeviceError::Pin(_)), "{refused:?}");
    let api = refused.to_api(&device);
    let problem = api.problem();
    assert_eq!(problem.status, 503);
    assert_eq!(problem.problem_type, "/problems/signing-device-unavailable");
    assert!(problem.detail.contains("pin-change"), "{}", problem.detail);

    std::fs::write(&pin_file, right_pin).unwrap();
    signer.probe().unwrap();
}

#[test]
fn an_absent_token_is_a_clear_error_and_is_used_once_it_is_there() {
    let pki = TestPki::new(KeySpec::EcP256, chrono::Utc::now()).unwrap();
    let (mut device, certificate) = certified("present", KeyKind::EcP256, &pki);
    let present = device.clone();
    device.token_label = Some("not-yet-inserted".into());
    let signer = DeviceSigner::new(device, certificate.clone()).unwrap();
    let absent = signer.probe().unwrap_err();
    assert_eq!(
        absent,
        DeviceError::TokenAbsent("token \"not-yet-inserted\"".into())
    );
    assert!(matches!(
        signer.sign(b"data"),
        Err(motcua_pki::PkiError::SigningDevice(_))
    ));
    // The right token with the same signer settings signs.
    DeviceSigner::new(present, certificate)
        .unwrap()
        .probe()
        .unwrap();
}

#[test]
fn another_key_than_the_certificates_is_refused() {
    let pki = TestPki::new(KeySpec::EcP256, chrono::Utc::now()).unwrap();
    let (device, _) = certified("other-key", KeyKind::EcP256, &pki);
    let unrelated = pki
        .issue(&pki.organisation("UBND XÃ KHÁC", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang"))
        .unwrap();
    let signer = DeviceSigner::new(device, unrelated.certificate().clone()).unwrap();
    let refused = signer.probe().unwrap_err();
    assert!(matches!(refused, DeviceError::Key(_)), "{refused:?}");
}

#[test]
fn device_settings_are_checked_field_by_field() {
    let base = DeviceKey {
        module: "/usr/lib/softhsm/libsofthsm2.so".into(),
        token_label: Some("t".into()),
        token_serial: None,
        key_label: Some("k".into()),
        key_id_hex: None,
        pin_source: "env:MOTCUA_TOKEN_PIN".into(),
        rsa_pss: false,
        sessions: None,
        typed_pin: None,
    };
    base.check("").unwrap();
    let field = |device: DeviceKey| {
        device
            .check("device.")
            .unwrap_err()
            .problem()
            .invalid_params[0]
            .name
            .clone()
    };
    assert_eq!(
        field(DeviceKey {
            pin_source: "123456".into(),
            ..base.clone()
        }),
        "device.pin_source"
    );
    assert_eq!(
        field(DeviceKey {
            module: "libsofthsm2.so".into(),
            ..base.clone()
        }),
        "device.module"
    );
    assert_eq!(
        field(DeviceKey {
            token_serial: Some("1".into()),
            ..base.clone()
        }),
        "device.token_label"
    );
    assert_eq!(
        field(DeviceKey {
            key_label: None,
            key_id_hex: Some("zz".into()),
            ..base.clone()
        }),
        "device.key_id_hex"
    );
    assert_eq!(
        field(DeviceKey {
            sessions: Some(0),
            ..base
        }),
        "device.sessions"
    );
    assert_eq!(
        PinSource::parse("file:/run/secrets/pin").unwrap(),
        PinSource::File("/run/secrets/pin".into())
    );
}
