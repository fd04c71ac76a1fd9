//! Sessions on a token, shared by the signers of one key.
//!
//! A pool runs one worker thread per session it may open (the token's concurrency limit): a
//! signature is queued to the workers and its caller waits at most its timeout, so that a token
//! that hangs makes requests fail, never wait forever. A worker opens and logs in its session on
//! first use; when the token says the session is gone (removed, reset, library finalised), it
//! drops it, opens a new one and tries the signature once more. Dropping the pool stops the
//! workers and waits for them to close their sessions: a session still closing on a thread of
//! its own when the process exits runs into the library's teardown (SoftHSM2 crashes).

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use cryptoki::context::Pkcs11;
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::{Limit, Slot};
use cryptoki::types::AuthPin;

use super::{modules, DeviceError, DeviceKey, PinSource, DEFAULT_SESSIONS};

/// `DigestInfo` prefix of SHA-256 (RFC 8017 §9.2 note 1), for `CKM_RSA_PKCS` over a digest.
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// How the token signs a SHA-256 digest computed by the caller (tokens that hash themselves
/// are not needed, and the digest is all a remote HSM has to receive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignMechanism {
    /// `CKM_RSA_PKCS` over the `DigestInfo`.
    RsaPkcs1v15,
    /// `CKM_RSA_PKCS_PSS` with SHA-256, MGF1-SHA-256 and a 32-byte salt.
    RsaPss,
    /// `CKM_ECDSA` over the digest; the token returns `r || s`.
    EcdsaP256,
}

impl SignMechanism {
    /// The mechanism and the bytes it signs for `digest`.
    /// Whether a key of `key_type` can sign with this mechanism.
    fn suits(self, key_type: KeyType) -> bool {
        match self {
            Self::RsaPkcs1v15 | Self::RsaPss => key_type == KeyType::RSA,
            Self::EcdsaP256 => key_type == KeyType::EC,
        }
    }

    pub(super) fn prepare(self, digest: &[u8]) -> (Mechanism<'static>, Vec<u8>) {
        match self {
            Self::RsaPkcs1v15 => {
                let mut input = SHA256_DIGEST_INFO.to_vec();
                input.extend_from_slice(digest);
                (Mechanism::RsaPkcs, input)
            }
            Self::RsaPss => (
                Mechanism::RsaPkcsPss(PkcsPssParams {
                    hash_alg: MechanismType::SHA256,
                    mgf: PkcsMgfType::MGF1_SHA256,
                    s_len: 32.into(),
                }),
                digest.to_vec(),
            ),
            Self::EcdsaP256 => (Mechanism::Ecdsa, digest.to_vec()),
        }
    }
}

/// One signature to make.
struct Job {
    mechanism: SignMechanism,
    digest: Vec<u8>,
    answer: SyncSender<Result<Vec<u8>, DeviceError>>,
}

/// How long dropping a pool waits for its workers to close their sessions: a token that hangs
/// must not hang whoever drops the last signer.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// The workers of one key.
pub struct TokenPool {
    /// `None` once the pool is stopping.
    queue: Mutex<Option<Sender<Job>>>,
    /// Disconnected once every worker has closed its session and returned.
    stopped: Mutex<Receiver<()>>,
}

/// Pools in use, by device: every signer of a key shares its sessions.
fn pools() -> &'static Mutex<HashMap<DeviceKey, Weak<TokenPool>>> {
    static POOLS: OnceLock<Mutex<HashMap<DeviceKey, Weak<TokenPool>>>> = OnceLock::new();
    POOLS.get_or_init(|| Mutex::new(HashMap::new()))
}

impl TokenPool {
    /// The pool of `device`, started with its workers if no signer holds it.
    pub fn shared(device: &DeviceKey) -> Result<Arc<Self>, DeviceError> {
        let mut pools = pools().lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pool) = pools.get(device).and_then(Weak::upgrade) {
            return Ok(pool);
        }
        let pool = Arc::new(Self::start(device)?);
        pools.retain(|_, pool| pool.strong_count() > 0);
        pools.insert(device.clone(), Arc::downgrade(&pool));
        Ok(pool)
    }

    fn start(device: &DeviceKey) -> Result<Self, DeviceError> {
        let pin = device.pin()?;
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        let (running, stopped) = mpsc::channel::<()>();
        for index in 0..session_count(device) {
            let worker = Worker {
                device: device.clone(),
                pin: pin.clone(),
                session: None,
            };
            let jobs = jobs.clone();
            let running = running.clone();
            std::thread::Builder::new()
                .name(format!("pkcs11-{index}"))
                .spawn(move || {
                    // `run` consumes the worker: its session is closed before `running` goes.
                    worker.run(&jobs);
                    drop(running);
                })
                .map_err(|e| DeviceError::Token(format!("cannot start a session thread: {e}")))?;
        }
        Ok(Self {
            queue: Mutex::new(Some(queue)),
            stopped: Mutex::new(stopped),
        })
    }

    /// Signs `digest` (SHA-256) on one of the sessions, waiting at most `timeout`.
    pub fn sign(
        &self,
        mechanism: SignMechanism,
        digest: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        let (answer, answered) = mpsc::sync_channel(1);
        let job = Job {
            mechanism,
            digest,
            answer,
        };
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .and_then(|queue| queue.send(job).ok())
            .ok_or_else(|| DeviceError::Token("the session threads have stopped".into()))?;
        match answered.recv_timeout(timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(DeviceError::Timeout(timeout)),
            Err(RecvTimeoutError::Disconnected) => {
                Err(DeviceError::Token("the session thread stopped".into()))
            }
        }
    }
}

impl Drop for TokenPool {
    /// Closing the queue ends every worker once its current job is done; waits (at most
    /// [`STOP_WAIT`]) until they have closed their sessions.
    fn drop(&mut self) {
        drop(
            self.queue
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let stopped = self
            .stopped
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        // Workers send nothing: the wait ends when the last one drops its end, or on time.
        let _ = stopped.recv_timeout(STOP_WAIT);
    }
}

/// A logged-in session and the key's handle in it.
struct Open {
    session: Session,
    key: ObjectHandle,
    key_type: KeyType,
}

struct Worker {
    device: DeviceKey,
    pin: PinSource,
    session: Option<Open>,
}

impl Worker {
    /// Takes jobs until the pool is dropped.
    fn run(mut self, jobs: &Mutex<Receiver<Job>>) {
        loop {
            let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
            let Ok(job) = job else { return };
            let result = self.sign(job.mechanism, &job.digest);
            // The caller may have given up waiting: nobody to tell.
            let _ = job.answer.send(result);
        }
    }

    /// Signs, reopening the session once if the token dropped it.
    fn sign(&mut self, mechanism: SignMechanism, digest: &[u8]) -> Result<Vec<u8>, DeviceError> {
        match self.try_sign(mechanism, digest) {
            Err(Attempt::SessionLost(_)) => {
                self.session = None;
                self.try_sign(mechanism, digest)
                    .map_err(Attempt::into_error)
            }
            other => other.map_err(Attempt::into_error),
        }
    }

    fn try_sign(&mut self, mechanism: SignMechanism, digest: &[u8]) -> Result<Vec<u8>, Attempt> {
        if self.session.is_none() {
            self.session = Some(self.open().map_err(Attempt::Failed)?);
        }
        let Some(open) = &self.session else {
            return Err(Attempt::Failed(DeviceError::Token("no session".into())));
        };
        if !mechanism.suits(open.key_type) {
            return Err(Attempt::Failed(DeviceError::Key(format!(
                "the {} on the {} is a {} key, not the kind of the certificate's",
                self.device.key_name(),
                self.device.token_name(),
                if open.key_type == KeyType::EC {
                    "EC"
                } else {
                    "non-EC"
                }
            ))));
        }
        let (mechanism, input) = mechanism.prepare(digest);
        open.session
            .sign(&mechanism, open.key, &input)
            .map_err(|e| self.failure(&e))
    }

    fn failure(&mut self, error: &Error) -> Attempt {
        if session_lost(error) {
            self.session = None;
            Attempt::SessionLost(DeviceError::TokenAbsent(self.device.token_name()))
        } else {
            Attempt::Failed(DeviceError::Token(error.to_string()))
        }
    }

    /// Opens a session on the token, logs in and finds the key.
    fn open(&self) -> Result<Open, DeviceError> {
        let module = modules::module(&self.device.module)?;
        let slot = find_token(&module, &self.device).or_else(|error| match error {
            // The library was finalised (a reset): initialise it again and look once more.
            DeviceError::Module(_) => {
                modules::reinitialise(&self.device.module)?;
                find_token(&module, &self.device)
            }
            other => Err(other),
        })?;
        let session = modules::open_ro_session(&module, slot).map_err(|e| match e {
            Error::Pkcs11(RvError::TokenNotPresent | RvError::DeviceRemoved, _) => {
                DeviceError::TokenAbsent(self.device.token_name())
            }
            other => DeviceError::Token(format!("opening a session: {other}")),
        })?;
        let pin = AuthPin::from(self.pin.read()?);
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(Error::Pkcs11(RvError::PinIncorrect | RvError::PinInvalid, _)) => {
                return Err(DeviceError::Pin(format!(
                    "the {} refused the PIN",
                    self.device.token_name()
                )))
            }
            Err(Error::Pkcs11(RvError::PinLocked, _)) => {
                return Err(DeviceError::Pin(format!(
                    "the PIN of the {} is locked",
                    self.device.token_name()
                )))
            }
            Err(e) => return Err(DeviceError::Token(format!("logging in: {e}"))),
        }
        let key = find_private_key(&session, &self.device)?;
        let key_type = session
            .get_attributes(key, &[AttributeType::KeyType])
            .map_err(|e| DeviceError::Token(format!("reading the key type: {e}")))?
            .into_iter()
            .find_map(|attribute| match attribute {
                Attribute::KeyType(key_type) => Some(key_type),
                _ => None,
            })
            .ok_or_else(|| DeviceError::Key("the key has no CKA_KEY_TYPE".into()))?;
        Ok(Open {
            session,
            key,
            key_type,
        })
    }
}

/// The outcome of one attempt.
enum Attempt {
    /// The session is no longer valid: worth one more try on a new one.
    SessionLost(DeviceError),
    Failed(DeviceError),
}

impl Attempt {
    fn into_error(self) -> DeviceError {
        match self {
            Self::SessionLost(error) | Self::Failed(error) => error,
        }
    }
}

/// Whether `error` says the session is gone rather than the signature refused.
fn session_lost(error: &Error) -> bool {
    matches!(
        error,
        Error::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::DeviceRemoved
                | RvError::TokenNotPresent
                | RvError::UserNotLoggedIn
                | RvError::CryptokiNotInitialized
                | RvError::DeviceError,
            _
        )
    )
}

/// Sessions to open: as configured, within what the token says it accepts when it is there.
fn session_count(device: &DeviceKey) -> u64 {
    let wanted = u64::from(device.sessions.unwrap_or(DEFAULT_SESSIONS));
    let limit = modules::module(&device.module)
        .ok()
        .and_then(|module| session_limit(&module, find_token(&module, device).ok()?));
    limit.map_or(wanted, |limit| wanted.min(limit.max(1)))
}

/// The slot holding the token `device` names.
pub fn find_token(module: &Pkcs11, device: &DeviceKey) -> Result<Slot, DeviceError> {
    let slots = modules::slots_with_token(module).map_err(|e| match e {
        Error::Pkcs11(RvError::CryptokiNotInitialized, _) => {
            DeviceError::Module("the library is not initialised".into())
        }
        other => DeviceError::Token(format!("listing the slots: {other}")),
    })?;
    for slot in slots {
        let Ok(info) = modules::token_info(module, slot) else {
            continue;
        };
        let label_matches = device
            .token_label
            .as_deref()
            .is_some_and(|label| info.label().trim_end() == label);
        let serial_matches = device
            .token_serial
            .as_deref()
            .is_some_and(|serial| info.serial_number().trim_end() == serial);
        if label_matches || serial_matches {
            return Ok(slot);
        }
    }
    Err(DeviceError::TokenAbsent(device.token_name()))
}

/// The most sessions the token in `slot` accepts, if it says.
pub fn session_limit(module: &Pkcs11, slot: Slot) -> Option<u64> {
    match modules::token_info(module, slot).ok()?.max_session_count() {
        Limit::Max(max) => Some(max),
        Limit::Unavailable | Limit::Infinite => None,
    }
}

/// The private key `device` names, which must be able to sign.
pub fn find_private_key(
    session: &Session,
    device: &DeviceKey,
) -> Result<ObjectHandle, DeviceError> {
    let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
    if let Some(label) = &device.key_label {
        template.push(Attribute::Label(label.as_bytes().to_vec()));
    }
    if let Some(id) = &device.key_id_hex {
        let id = hex::decode(id).map_err(|_| DeviceError::Key("key_id_hex is not hex".into()))?;
        template.push(Attribute::Id(id));
    }
    let found = session
        .find_objects(&template)
        .map_err(|e| DeviceError::Token(format!("looking for the key: {e}")))?;
    let [key] = found.as_slice() else {
        return Err(DeviceError::Key(format!(
            "the {} holds {} private keys matching the {}, not one",
            device.token_name(),
            found.len(),
            device.key_name()
        )));
    };
    let can_sign = session
        .get_attributes(*key, &[AttributeType::Sign])
        .map_err(|e| DeviceError::Token(format!("reading the key: {e}")))?
        .into_iter()
        .any(|attribute| matches!(attribute, Attribute::Sign(true)));
    if !can_sign {
        return Err(DeviceError::Key(format!(
            "the {} cannot sign (CKA_SIGN is false)",
            device.key_name()
        )));
    }
    Ok(*key)
}
