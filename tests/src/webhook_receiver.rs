//! A subscriber of the services' webhooks for the tests: a real HTTP server on loopback that
//! checks every delivery's signature with its own HMAC-SHA256 (Standard Webhooks), keeps what
//! it received in order, and can be made to refuse deliveries for a while.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web::{self, Bytes, Data};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One delivery that passed the signature check.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`, equal to the event's `id`.
    pub id: String,
    pub sequence: i64,
    pub event: Value,
}

#[derive(Default)]
struct Inbox {
    secret: Mutex<Vec<u8>>,
    received: Mutex<Vec<Received>>,
    /// Deliveries refused because their signature, id or media type was wrong.
    bad: Mutex<Vec<String>>,
    /// Deliveries answered with 503 while down.
    refused: Mutex<u32>,
    down: AtomicBool,
    /// The next delivery is recorded, then left unanswered until `released`.
    hold_next: AtomicBool,
    released: AtomicBool,
}

/// The running subscriber.
pub struct WebhookReceiver {
    inbox: Arc<Inbox>,
    /// The callback URL to subscribe (`http://127.0.0.1:<port>/hook`).
    pub url: String,
    server: actix_web::dev::ServerHandle,
}

impl WebhookReceiver {
    /// Starts on a free loopback port, checking signatures with `secret` (`whsec_…`).
    pub fn start(secret: &str) -> Self {
        let inbox = Arc::new(Inbox::default());
        let receiver_inbox = Data::from(Arc::clone(&inbox));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (sender, handle) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(receiver_inbox.clone())
                        .route("/hook", web::post().to(receive))
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
                sender.send(server.handle()).unwrap();
                let _ = server.await;
            });
        });
        let receiver = Self {
            inbox,
            url,
            server: handle.recv().unwrap(),
        };
        receiver.set_secret(secret);
        receiver
    }

    /// Checks signatures with `secret` from now on (e.g. one the service generated).
    pub fn set_secret(&self, secret: &str) {
        let bytes = STANDARD
            .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
            .unwrap();
        *self.inbox.secret.lock().unwrap() = bytes;
    }

    /// While down, every delivery is answered 503.
    pub fn set_down(&self, down: bool) {
        self.inbox.down.store(down, Ordering::SeqCst);
    }

    /// The next delivery is recorded but not answered until [`WebhookReceiver::release`]: the
    /// sender is caught in the middle of it.
    pub fn hold_next(&self) {
        self.inbox.released.store(false, Ordering::SeqCst);
        self.inbox.hold_next.store(true, Ordering::SeqCst);
    }

    /// Answers the held delivery (if its sender is still there) and holds no more.
    pub fn release(&self) {
        self.inbox.hold_next.store(false, Ordering::SeqCst);
        self.inbox.released.store(true, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.received.lock().unwrap().clone()
    }

    pub fn refused(&self) -> u32 {
        *self.inbox.refused.lock().unwrap()
    }

    /// Deliveries whose signature did not verify (none expected).
    pub fn bad(&self) -> Vec<String> {
        self.inbox.bad.lock().unwrap().clone()
    }

    /// Waits until `done` holds of what was received, up to a minute (then fails, showing it).
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not received within a minute; got {:?} (bad: {:?})",
                received.iter().map(|r| r.sequence).collect::<Vec<_>>(),
                self.bad()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until at least `count` deliveries were refused while down.
    pub async fn wait_for_refusals(&self, count: u32) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.refused() < count {
            assert!(
                Instant::now() < deadline,
                "{count} refusals not seen within a minute"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        let server = self.server.clone();
        std::thread::spawn(move || futures_executor::block_on(server.stop(false)));
    }
}

async fn receive(inbox: Data<Inbox>, request: HttpRequest, body: Bytes) -> HttpResponse {
    if inbox.down.load(Ordering::SeqCst) {
        *inbox.refused.lock().unwrap() += 1;
        return HttpResponse::ServiceUnavailable().finish();
    }
    match check(&inbox, &request, &body) {
        Ok(received) => {
            inbox.received.lock().unwrap().push(received);
            if inbox.hold_next.swap(false, Ordering::SeqCst) {
                while !inbox.released.load(Ordering::SeqCst) {
                    actix_web::rt::time::sleep(Duration::from_millis(20)).await;
                }
            }
            HttpResponse::NoContent().finish()
        }
        Err(problem) => {
            inbox.bad.lock().unwrap().push(problem);
            HttpResponse::BadRequest().finish()
        }
    }
}

fn check(inbox: &Inbox, request: &HttpRequest, body: &[u8]) -> Result<Received, String> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .ok_or(format!("no {name} header"))
    };
    let (id, timestamp, signature) = (
        header("webhook-id")?,
        header("webhook-timestamp")?,
        header("webhook-signature")?,
    );
    if header("content-type")? != "application/cloudevents+json" {
        return Err("not application/cloudevents+json".into());
    }
    let signed = format!("{id}.{timestamp}.{}", String::from_utf8_lossy(body));
    let expected = format!(
        "v1,{}",
        STANDARD.encode(hmac_sha256(
            &inbox.secret.lock().unwrap(),
            signed.as_bytes()
        ))
    );
    if !signature.split(' ').any(|one| one == expected) {
        return Err(format!("signature {signature} is not {expected}"));
    }
    let event: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if event["id"] != id.as_str() {
        return Err(format!(
            "webhook-id {id} is not the event's id {}",
            event["id"]
        ));
    }
    let sequence = event["sequence"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("no sequence")?;
    Ok(Received {
        id,
        sequence,
        event,
    })
}

/// `(sequence, id)` of what was received, a repeated delivery (same id) counted once, in order
/// of first receipt.
pub fn first_receipts(received: &[Received]) -> Vec<(i64, String)> {
    let mut seen = Vec::new();
    for one in received {
        let entry = (one.sequence, one.id.clone());
        if !seen.contains(&entry) {
            seen.push(entry);
        }
    }
    seen
}

/// HMAC (RFC 2104) over SHA-256, written here so that the service's own code is not trusted.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}
