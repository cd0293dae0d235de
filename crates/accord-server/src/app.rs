//! Start-up: builds the state and router, binds the listener, serves until stopped.

use crate::audience::JoinGuard;
use crate::ballots::BallotWriter;
use crate::config::{PublicUrl, ServeArgs};
use crate::error::{ApiError, ErrorKind};
use crate::http_limits::{self, HttpArgs};
use crate::passwords::Passwords;
use crate::rate_limit::RateLimits;
use crate::security_headers::{self, SecurityHeaders};
use crate::socket_limits::SocketCounts;
use crate::{assets, demo, error, origin, routes};
use accord_domain::polls::secrecy::MinGroup;
use accord_realtime::bus::Bus;
use accord_realtime::docs::DocHub;
use accord_realtime::live::LiveHub;
use accord_realtime::rights::RightsHub;
use accord_store::Store;
use anyhow::Context;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Largest JSON body accepted by any REST route.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub passwords: Passwords,
    pub limits: Arc<RateLimits>,
    pub docs: DocHub,
    pub live: LiveHub,
    /// Tells open sockets, on every node, that rights changed.
    pub rights: RightsHub,
    pub join_guard: Arc<JoinGuard>,
    pub ballots: BallotWriter,
    /// Open WebSockets per account or audience member.
    pub sockets: Arc<SocketCounts>,
    /// Secret polls publish no figure about fewer ballots than this.
    pub min_group: MinGroup,
    /// Configured public URL; `None` means "the host the request was sent to".
    pub public_url: Option<PublicUrl>,
}

impl AppState {
    /// Base URL for links: the configured one, else derived from the `Host` header.
    pub fn base_url(&self, headers: &axum::http::HeaderMap) -> String {
        if let Some(p) = &self.public_url {
            return p.base.clone();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_ref().is_some_and(PublicUrl::is_https)
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    http: HttpArgs,
}

pub fn router(state: AppState) -> Router {
    let (api, _) = routes::api().split_for_parts();
    let openapi = Arc::new(crate::openapi_doc::document());
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let doc = Arc::clone(&openapi);
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(assets::serve)
        .method_not_allowed_fallback(|| async {
            ApiError::new(ErrorKind::MethodNotAllowed)
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::refuse_foreign_origin,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(error::log_internal_errors))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("fallback", MatchedPath::as_str);
            tracing::info_span!("request", method = %req.method(), route, user_id = tracing::field::Empty)
        }))
        .with_state(state)
}

impl Application {
    pub async fn build(args: ServeArgs) -> anyhow::Result<Self> {
        let public_url = args
            .public_url
            .as_deref()
            .map(PublicUrl::parse)
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let headers =
            SecurityHeaders::new(&args.framing, public_url.as_ref()).map_err(anyhow::Error::msg)?;
        let store = Store::connect(&args.db.database_url)
            .await
            .with_context(|| "cannot open the database")?;
        if args.demo {
            let summary = demo::load(&store).await?;
            tracing::info!("{summary}");
        }
        let bus = match &args.redis_url {
            Some(url) => Bus::redis(url)
                .await
                .with_context(|| "cannot connect to REDIS_URL")?,
            None => Bus::in_process(),
        };
        if let Some(share) = args.test_bus_drop {
            tracing::warn!(
                share,
                "ACCORD_TEST_BUS_DROP: losing bus messages on purpose (tests only)"
            );
            bus.drop_share_for_tests(share);
        }
        let min_group = MinGroup::new(args.secret_min_group).map_err(anyhow::Error::msg)?;
        let state = AppState {
            min_group,
            sockets: SocketCounts::new(args.max_sockets_per_account),
            docs: DocHub::with_auto_versions(
                store.clone(),
                bus.clone(),
                std::time::Duration::from_secs(args.auto_version_idle_secs),
            ),
            live: LiveHub::new(store.clone(), bus.clone(), min_group),
            rights: RightsHub::new(bus),
            join_guard: Arc::new(JoinGuard::new(args.join_failures_per_ip)),
            ballots: BallotWriter::new(store.clone()),
            store,
            passwords: Passwords::new().await?,
            limits: RateLimits::new(args.join_new_members_per_ip),
            public_url,
        };
        let listener = TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("cannot listen on {}", args.bind))?;
        Ok(Application {
            router: security_headers::apply(
                http_limits::bound_bodies(router(state.clone()), &args.http),
                headers,
            ),
            listener,
            state,
            http: args.http,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let addr = self.local_addr()?;
        let shown = match &self.state.public_url {
            Some(p) => p.base.clone(),
            None => format!("http://{addr}"),
        };
        // Tests read this line from stdout to learn the port.
        println!("Accord is running at {shown} (listening on http://{addr})");
        tracing::info!(%addr, "listening");
        let housekeeping = tokio::spawn(housekeeping(self.state.clone()));
        let expiry = tokio::spawn(expire_agreements(self.state.clone()));
        let store = self.state.store.clone();
        http_limits::serve(self.listener, self.router, &self.http, shutdown_signal()).await;
        housekeeping.abort();
        expiry.abort();
        store.close().await;
        Ok(())
    }
}

/// How often each node looks for agreements past their `closes_at`.
const AGREEMENT_EXPIRY_EVERY: Duration = Duration::from_secs(2);

/// Expires agreements whose time is up, on every node (each expires once).
async fn expire_agreements(state: AppState) {
    let mut tick = tokio::time::interval(AGREEMENT_EXPIRY_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        crate::routes::agreements::expire_due(&state).await;
    }
}

/// Periodic clean-up: expired sessions, idle rate-limit keys.
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        state.limits.prune();
        state.join_guard.prune();
        match state
            .store
            .delete_expired_sessions(crate::sessions::now())
            .await
        {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session clean-up failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
