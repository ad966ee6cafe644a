//! The `checkoutd` binary: parse the command line, set up logging, and run
//! `serve` (the default) or `migrate`.

use checkoutd::config::{Cli, Command, LogFormat};
use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// A request builds and drops many small objects (parsed forms, the JSON
/// tree of the response); mimalloc's per-thread free lists serve them
/// without glibc's locking and consolidation passes.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let options = cli.options;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match options.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            checkoutd::open_store(&options, true).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Serve => {
            let mut settings = options.settings();
            settings.gr4vy_keys = std::sync::Arc::new(checkoutd::load_gr4vy_keys(&options)?);
            let store = checkoutd::open_store(&options, !options.no_migrate).await?;
            checkoutd::provision_keys(store.as_ref(), &options).await?;
            let listener = TcpListener::bind(&options.addr).await?;
            checkoutd::serve_with(
                listener,
                store,
                options.public_url.clone(),
                settings,
                shutdown_signal(),
            )
            .await
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
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
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
