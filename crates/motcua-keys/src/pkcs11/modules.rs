//! PKCS#11 modules loaded in this process: each once, initialised once, shared by every pool.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};

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
    match module.finalize() {
        Ok(()) | Err(Error::Pkcs11(RvError::CryptokiNotInitialized, _)) => Ok(()),
        Err(e) => Err(DeviceError::Module(format!(
            "{} cannot be finalised: {e}",
            path.display()
        ))),
    }
}
