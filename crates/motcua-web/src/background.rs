//! Work a service does on its own schedule (outbox delivery, audit checkpoints, certificate
//! revalidation), stopped cleanly with the server: on shutdown each task finishes the round in
//! hand, then ends, so that no delivery or checkpoint is cut off halfway.

use std::future::Future;
use std::time::Duration;

use actix_http::{Request, Response};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, ServerHandle, Service, ServiceFactory};
use actix_web::HttpServer;

use crate::limits::ServerLimits;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The background tasks of one service.
pub struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

/// Tells a background task that the service is stopping.
#[derive(Clone)]
pub struct Stopping(watch::Receiver<bool>);

impl Stopping {
    /// Resolves once the service has been told to stop.
    pub async fn requested(&mut self) {
        // An error means the sender is gone, which also means stop.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

impl Default for Background {
    fn default() -> Self {
        Self::new()
    }
}

impl Background {
    pub fn new() -> Self {
        Self {
            stop: watch::Sender::new(false),
            tasks: Vec::new(),
        }
    }

    /// Runs `round` now and then every `interval` (or first after one `interval` when
    /// `start_now` is false) until the service stops. Call it inside an actix system.
    pub fn every<F, Fut>(
        &mut self,
        name: &'static str,
        interval: Duration,
        start_now: bool,
        round: F,
    ) where
        F: FnMut() -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let stopping = Stopping(self.stop.subscribe());
        let task = actix_web::rt::spawn(periodically(interval, start_now, stopping, round));
        self.tasks.push((name, task));
    }

    /// Runs `task` until it returns; it is told through its [`Stopping`] when the service stops,
    /// and should then end soon (a task that waits for its own events rather than a schedule).
    /// Call it inside an actix system.
    pub fn run<F, Fut>(&mut self, name: &'static str, task: F)
    where
        F: FnOnce(Stopping) -> Fut,
        Fut: Future<Output = ()> + 'static,
    {
        let stopping = Stopping(self.stop.subscribe());
        self.tasks
            .push((name, actix_web::rt::spawn(task(stopping))));
    }

    /// Asks every task to stop and waits up to `grace` for each to finish its round.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        for (name, task) in self.tasks {
            let abort = task.abort_handle();
            match tokio::time::timeout(grace, task).await {
                Ok(_) => tracing::info!(task = name, "background task stopped"),
                Err(_) => {
                    abort.abort();
                    tracing::warn!(task = name, "background task did not stop in time; cut off");
                }
            }
        }
    }
}

async fn periodically<F, Fut>(
    interval: Duration,
    start_now: bool,
    mut stopping: Stopping,
    mut round: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    if !start_now {
        ticker.tick().await;
    }
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = stopping.requested() => return,
        }
        // A round is finished even when the stop comes during it.
        round().await;
    }
}

/// A running HTTP server and its background tasks: running it serves until the server stops
/// (SIGTERM, SIGINT, or its handle), then stops the tasks.
pub struct RunningService {
    server: Server,
    background: Background,
    grace: Duration,
}

impl RunningService {
    /// Binds an HTTP server for the apps `factory` makes, with the timeouts of `limits`, and
    /// keeps `background` to stop after it; returns it with the address it listens on.
    pub fn bind<F, I, S, B>(
        factory: F,
        workers: usize,
        bind: std::net::SocketAddr,
        limits: ServerLimits,
        background: Background,
    ) -> Result<(Self, std::net::SocketAddr), String>
    where
        F: Fn() -> I + Send + Clone + 'static,
        I: actix_service::IntoServiceFactory<S, Request>,
        S: ServiceFactory<Request, Config = AppConfig> + 'static,
        S::Error: Into<actix_web::Error> + 'static,
        S::InitError: std::fmt::Debug,
        S::Response: Into<Response<B>> + 'static,
        <S::Service as Service<Request>>::Future: 'static,
        S::Service: 'static,
        B: MessageBody + 'static,
    {
        let server = HttpServer::new(factory)
            .workers(workers)
            .client_request_timeout(limits.request_head_timeout)
            .keep_alive(limits.keep_alive)
            .shutdown_timeout(limits.shutdown_timeout.as_secs())
            // Signals are handled by `run`, for every service of the process at once.
            .disable_signals()
            .bind(bind)
            .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
        let addr = server
            .addrs()
            .first()
            .copied()
            .ok_or("the server has no address")?;
        let running = Self {
            server: server.run(),
            background,
            grace: limits.shutdown_timeout,
        };
        Ok((running, addr))
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server stops, requests in flight finished, then stops the background.
    /// SIGTERM and SIGINT stop the server gracefully. The server's own signal handling must be
    /// off (`HttpServer::disable_signals`): it stops the whole actix system once its own server
    /// is down, which would cut off the requests still in flight on the other service.
    pub async fn run(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let stop_on_signal = actix_web::rt::spawn(async move {
            shutdown_signal().await;
            handle.stop(true).await;
        });
        let served = self.server.await;
        stop_on_signal.abort();
        self.background.stop(self.grace).await;
        served
    }
}

/// Resolves on SIGTERM (a service manager) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot listen for signals; stop the service with its handle");
        return std::future::pending().await;
    };
    let name = tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    };
    tracing::info!(signal = name, "stopping: finishing the requests in flight");
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    #[actix_web::test]
    async fn a_round_in_progress_is_finished_before_the_task_stops() {
        let finished = Rc::new(Cell::new(0));
        let mut background = Background::new();
        let counter = Rc::clone(&finished);
        background.every("slow round", Duration::from_secs(3600), true, move || {
            let counter = Rc::clone(&counter);
            async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                counter.set(counter.get() + 1);
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        background.stop(Duration::from_secs(5)).await;
        assert_eq!(
            finished.get(),
            1,
            "the round begun before the stop was finished"
        );
    }

    #[actix_web::test]
    async fn a_stop_between_rounds_ends_the_task_at_once() {
        let rounds = Rc::new(Cell::new(0));
        let mut background = Background::new();
        let counter = Rc::clone(&rounds);
        background.every("idle", Duration::from_secs(3600), false, move || {
            let counter = Rc::clone(&counter);
            async move { counter.set(counter.get() + 1) }
        });
        let started = std::time::Instant::now();
        background.stop(Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(rounds.get(), 0, "no round was due");
    }
}
