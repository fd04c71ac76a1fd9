//! A TCP proxy in front of the test PostgreSQL server that a test can cut and restore, to play a
//! database outage: cutting closes every live connection and turns new ones away, as a failed
//! server or a broken network would.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::StatusCode;
use serde_json::Value;

pub struct TcpProxy {
    pub address: SocketAddr,
    shared: Arc<Shared>,
}

struct Shared {
    upstream: SocketAddr,
    open: AtomicBool,
    /// Both ends of every forwarded connection, so that a cut can close them.
    live: Mutex<Vec<TcpStream>>,
    stopped: AtomicBool,
}

impl TcpProxy {
    /// A proxy for the server that the PostgreSQL URL `url` names.
    pub fn in_front_of(url: &str) -> Self {
        let (_, host_port) = split_url(url);
        let host_port = if host_port.contains(':') {
            host_port.to_owned()
        } else {
            format!("{host_port}:5432")
        };
        let upstream = host_port
            .to_socket_addrs()
            .ok()
            .and_then(|mut addresses| addresses.next())
            .unwrap_or_else(|| panic!("cannot resolve {host_port}"));
        Self::start(upstream)
    }

    /// Listens on a free loopback port and forwards to `upstream`.
    pub fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let address = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream,
            open: AtomicBool::new(true),
            live: Mutex::new(Vec::new()),
            stopped: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || accept_loop(&listener, &accepting));
        Self { address, shared }
    }

    /// `url` (a PostgreSQL URL) with its host and port replaced by the proxy's.
    pub fn url_through(&self, url: &str) -> String {
        let (before, host_port) = split_url(url);
        let after = &url[before.len() + host_port.len()..];
        format!("{before}{}{after}", self.address)
    }

    /// The database becomes unreachable: live connections are closed, new ones turned away.
    pub fn cut(&self) {
        self.shared.open.store(false, Ordering::SeqCst);
        let live = std::mem::take(&mut *self.shared.lock_live());
        for stream in live {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The database is reachable again.
    pub fn restore(&self) {
        self.shared.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees `stopped` and ends.
        let _ = TcpStream::connect(self.address);
    }
}

impl Shared {
    fn lock_live(&self) -> std::sync::MutexGuard<'_, Vec<TcpStream>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The part of `url` before its `host:port`, and the `host:port` itself.
fn split_url(url: &str) -> (&str, &str) {
    let authority_start = url.find("://").expect("a URL with a scheme") + 3;
    let rest = &url[authority_start..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    (
        &url[..authority_start + host_start],
        &authority[host_start..],
    )
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopped.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        if !shared.open.load(Ordering::SeqCst) {
            // Dropping the accepted socket closes it at once: the client sees the server go away.
            continue;
        }
        let Ok(server) = TcpStream::connect(shared.upstream) else {
            continue;
        };
        forward(client, server, shared);
    }
}

fn forward(client: TcpStream, server: TcpStream, shared: &Shared) {
    let (Ok(client_copy), Ok(server_copy)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    {
        let mut live = shared.lock_live();
        for stream in [&client, &server] {
            if let Ok(stream) = stream.try_clone() {
                live.push(stream);
            }
        }
    }
    std::thread::spawn(move || pump(client, server_copy));
    std::thread::spawn(move || pump(server, client_copy));
}

/// Copies `from` to `to` until either side closes, then closes both.
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buffer = [0_u8; 16 * 1024];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// The answer of a service whose database cannot be reached: 503 `unavailable`.
pub fn assert_unavailable(status: StatusCode, problem: &Value, context: &str) {
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{context}: {problem}"
    );
    assert_eq!(
        problem["type"], "/problems/unavailable",
        "{context}: {problem}"
    );
}
