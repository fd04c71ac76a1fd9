//! PKCS#11 modules loaded in this process: each once, initialised once, shared by every pool;
//! and the calls on a module's slot table, one at a time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::session::Session;
use cryptoki::slot::{Slot, TokenInfo};
use cryptoki::types::AuthPin;

use super::DeviceError;

fn loaded() -> &'static Mutex<HashMap<PathBuf, Pkcs11>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    LOADED.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The module at `path`, loaded and initialised on first use.
pub fn module(path: &Path) -> Result<Pkcs11, DeviceError> {
    let mut loaded = loaded().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(module) = loaded.get(path) {
        return Ok(module.clone());
    }
    let module = Pkcs11::new(path)
        .map_err(|e| DeviceError::Module(format!("{} cannot be loaded: {e}", path.display())))?;
    initialise(&module, path)?;
    loaded.insert(path.to_owned(), module.clone());
    Ok(module)
}

/// Initialises `module` for threads using the OS's locks; a module another part of the process
/// initialised already is fine.
fn initialise(module: &Pkcs11, path: &Path) -> Result<(), DeviceError> {
    let _table = slot_table();
    match module.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => Ok(()),
        Err(e) => Err(DeviceError::Module(format!(
            "{} cannot be initialised: {e}",
            path.display()
        ))),
    }
}

/// Initialises the module at `path` again after it was finalised (a reset of the library, as
/// after a token or HSM restart): pools reopen their sessions on their next signature.
pub fn reinitialise(path: &Path) -> Result<(), DeviceError> {
    let module = module(path)?;
    initialise(&module, path)
}

/// Finalises the module at `path` (every session of the process on it closes), as a reset of
/// the device does; [`reinitialise`] or the next signature brings it back.
pub fn finalise(path: &Path) -> Result<(), DeviceError> {
    let module = module(path)?;
    let _table = slot_table();
    match module.finalize() {
        Ok(()) | Err(Error::Pkcs11(RvError::CryptokiNotInitialized, _)) => Ok(()),
        Err(e) => Err(DeviceError::Module(format!(
            "{} cannot be finalised: {e}",
            path.display()
        ))),
    }
}

/// SoftHSM2 changes its slot table while listing it (a spare slot is added once a token was
/// initialised) without a lock of its own: two listings at once abort the process on an
/// assertion, and a listing beside a lookup of a slot races. Every call of this process that
/// reads or changes the slot table holds this lock: initialising and finalising the module
/// (which make and delete the table) and the functions below; they run when a session opens or
/// the library is reset, never for a signature.
fn slot_table() -> MutexGuard<'static, ()> {
    static SLOT_TABLE: Mutex<()> = Mutex::new(());
    SLOT_TABLE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The slots holding a token.
pub fn slots_with_token(module: &Pkcs11) -> cryptoki::error::Result<Vec<Slot>> {
    let _table = slot_table();
    module.get_slots_with_token()
}

/// What the token in `slot` says of itself.
pub fn token_info(module: &Pkcs11, slot: Slot) -> cryptoki::error::Result<TokenInfo> {
    let _table = slot_table();
    module.get_token_info(slot)
}

/// Initialises the token in `slot`.
pub fn init_token(
    module: &Pkcs11,
    slot: Slot,
    so_pin: &AuthPin,
    label: &str,
) -> cryptoki::error::Result<()> {
    let _table = slot_table();
    module.init_token(slot, so_pin, label)
}

/// A read-only session on the token in `slot`.
pub fn open_ro_session(module: &Pkcs11, slot: Slot) -> cryptoki::error::Result<Session> {
    let _table = slot_table();
    module.open_ro_session(slot)
}

/// A read-write session on the token in `slot`.
pub fn open_rw_session(module: &Pkcs11, slot: Slot) -> cryptoki::error::Result<Session> {
    let _table = slot_table();
    module.open_rw_session(slot)
}
