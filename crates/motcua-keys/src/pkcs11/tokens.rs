//! Preparing tokens: initialising one in a free slot (what an administrator does once with a new
//! token, and what the tests do with SoftHSM2), and SoftHSM2's own configuration.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use cryptoki::session::UserType;
use cryptoki::types::AuthPin;

use super::{modules, DeviceError};

/// Where Debian installs SoftHSM2's module.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// Initialising takes the one free slot: one at a time in this process.
static INITIALISING: Mutex<()> = Mutex::new(());

/// Initialises the token in a free slot of `module` with `label`, its security officer PIN and
/// its user PIN. Fails if no slot has an uninitialised token.
pub fn initialise_token(
    module: &Path,
    label: &str,
    so_pin: &str,
    user_pin: &str,
) -> Result<(), DeviceError> {
    let _one_at_a_time = INITIALISING.lock().unwrap_or_else(PoisonError::into_inner);
    let pkcs11 = modules::module(module)?;
    let failed = |what: &str, e: cryptoki::error::Error| DeviceError::Token(format!("{what}: {e}"));
    let free = modules::slots_with_token(&pkcs11)
        .map_err(|e| failed("listing the slots", e))?
        .into_iter()
        .find(|slot| {
            modules::token_info(&pkcs11, *slot).is_ok_and(|info| !info.token_initialized())
        })
        .ok_or_else(|| DeviceError::TokenAbsent("a free (uninitialised) token".into()))?;
    let so_pin = AuthPin::from(so_pin.to_owned());
    modules::init_token(&pkcs11, free, &so_pin, label)
        .map_err(|e| failed("initialising the token", e))?;
    let session =
        modules::open_rw_session(&pkcs11, free).map_err(|e| failed("opening a session", e))?;
    session
        .login(UserType::So, Some(&so_pin))
        .map_err(|e| failed("logging in as security officer", e))?;
    session
        .init_pin(&AuthPin::from(user_pin.to_owned()))
        .map_err(|e| failed("setting the user PIN", e))?;
    Ok(())
}

/// Writes a SoftHSM2 configuration keeping its tokens in `folder/tokens` and points
/// `SOFTHSM2_CONF` at it. SoftHSM2 reads the variable when the module is initialised, so call it
/// before anything in the process loads the module.
pub fn configure_softhsm(folder: &Path) -> Result<PathBuf, DeviceError> {
    let tokens = folder.join("tokens");
    let conf = folder.join("softhsm2.conf");
    let failed = |e: std::io::Error| DeviceError::Module(format!("configuring SoftHSM2: {e}"));
    std::fs::create_dir_all(&tokens).map_err(failed)?;
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
            tokens.display()
        ),
    )
    .map_err(failed)?;
    std::env::set_var("SOFTHSM2_CONF", &conf);
    Ok(tokens)
}

/// SoftHSM2 configured once for this process, its tokens in a folder of their own under the
/// temporary folder (tests and benchmarks). Returns the module's path.
pub fn softhsm_for_this_process() -> Result<PathBuf, DeviceError> {
    static CONFIGURED: std::sync::OnceLock<Result<PathBuf, DeviceError>> =
        std::sync::OnceLock::new();
    CONFIGURED
        .get_or_init(|| {
            let folder =
                std::env::temp_dir().join(format!("motcua-softhsm-{}", std::process::id()));
            // A folder left by an earlier process with the same id holds nothing of ours.
            let _ = std::fs::remove_dir_all(&folder);
            configure_softhsm(&folder)?;
            let module = PathBuf::from(SOFTHSM_MODULE);
            modules::module(&module)?;
            Ok(module)
        })
        .clone()
}

/// A new SoftHSM2 token labelled `label` (unique in the process), with its user PIN in a file:
/// the device of a key labelled `key_label` on it.
pub fn fresh_softhsm_token(label: &str, key_label: &str) -> Result<super::DeviceKey, DeviceError> {
    let module = softhsm_for_this_process()?;
    let pin = format!("{:08}", rand_pin());
    initialise_token(&module, label, "so-pin-0000", &pin)?;
    let pin_file = std::env::temp_dir()
        .join(format!("motcua-softhsm-{}", std::process::id()))
        .join(format!("{label}.pin"));
    std::fs::write(&pin_file, format!("{pin}\n"))
        .map_err(|e| DeviceError::Pin(format!("writing the PIN file: {e}")))?;
    Ok(super::DeviceKey {
        module,
        token_label: Some(label.to_owned()),
        token_serial: None,
        key_label: Some(key_label.to_owned()),
        key_id_hex: None,
        pin_source: format!("file:{}", pin_file.display()),
        rsa_pss: false,
        sessions: None,
        typed_pin: None,
    })
}

fn rand_pin() -> u32 {
    let mut bytes = [0u8; 4];
    // A fixed PIN would do as well; a random one shows that nothing depends on it.
    let _ = openssl::rand::rand_bytes(&mut bytes);
    u32::from_le_bytes(bytes) % 100_000_000
}

/// Imports a software private key onto the token `device` names, labelled `device.key_label`,
/// sensitive (its value cannot be read back). For moving a key that exists in software onto a
/// token, and for comparing the same key in software and on the token (the benchmark).
pub fn import_private_key(
    device: &super::DeviceKey,
    key: &openssl::pkey::PKey<openssl::pkey::Private>,
) -> Result<(), DeviceError> {
    use cryptoki::object::{Attribute, KeyType, ObjectClass};
    let failed = |what: &str, e: &dyn std::fmt::Display| DeviceError::Key(format!("{what}: {e}"));
    let label = device
        .key_label
        .clone()
        .ok_or_else(|| DeviceError::Key("a key label is needed to import a key".into()))?;
    let mut template = vec![
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Sign(true),
        Attribute::Label(label.into_bytes()),
    ];
    if let Ok(ec) = key.ec_key() {
        template.push(Attribute::KeyType(KeyType::EC));
        template.push(Attribute::EcParams(super::generate::P256_PARAMS.to_vec()));
        template.push(Attribute::Value(
            ec.private_key()
                .to_vec_padded(32)
                .map_err(|e| failed("reading the key", &e))?,
        ));
    } else {
        let rsa = key
            .rsa()
            .map_err(|e| failed("the key is neither EC nor RSA", &e))?;
        let number = |n: Option<&openssl::bn::BigNumRef>| n.map(|n| n.to_vec()).unwrap_or_default();
        template.extend([
            Attribute::KeyType(KeyType::RSA),
            Attribute::Modulus(rsa.n().to_vec()),
            Attribute::PublicExponent(rsa.e().to_vec()),
            Attribute::PrivateExponent(rsa.d().to_vec()),
            Attribute::Prime1(number(rsa.p())),
            Attribute::Prime2(number(rsa.q())),
            Attribute::Exponent1(number(rsa.dmp1())),
            Attribute::Exponent2(number(rsa.dmq1())),
            Attribute::Coefficient(number(rsa.iqmp())),
        ]);
    }
    let module = modules::module(&device.module)?;
    let slot = super::pool::find_token(&module, device)?;
    let session =
        modules::open_rw_session(&module, slot).map_err(|e| failed("opening a session", &e))?;
    let pin = device.pin()?.read()?;
    session
        .login(UserType::User, Some(&AuthPin::from(pin)))
        .map_err(|e| DeviceError::Pin(format!("logging in: {e}")))?;
    session
        .create_object(&template)
        .map_err(|e| failed("importing the key", &e))?;
    Ok(())
}
