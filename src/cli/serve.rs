//! `piaojue serve`: the ballot server with its bulletin board.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use piaojue_server::{AppState, auth, demo};

/// Options of `piaojue serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Database: `sqlite:FILE` (created if missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:piaojue.db")]
    pub database_url: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder for the staff token file and the demo's files.
    #[arg(long, default_value = "piaojue-data")]
    pub data_dir: PathBuf,
    /// Prepare the demo election (5 tellers, 250 deputies, "up to 10 of 13"), open for voting.
    #[arg(long)]
    pub demo: bool,
    /// Deputies in the demo election.
    #[arg(long, default_value_t = 250)]
    pub demo_deputies: usize,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
        let state = AppState::connect(&args.database_url)
            .await
            .with_context(|| format!("opening the database {}", args.database_url))?;
        if !auth::has_staff_token(&state.db).await? {
            let token = auth::create_staff_token(&state.db, "first start").await?;
            let path = args.data_dir.join("staff-token");
            write_private(&path, &token)?;
            eprintln!("工作人员令牌 / staff token written to {} (shown once; keep it secret)", path.display());
        }
        if args.demo {
            let info = demo::setup(&state, &args.data_dir, args.demo_deputies)
                .await
                .map_err(|e| anyhow::anyhow!("demo set-up: {e}"))?;
            eprintln!(
                "演示选举 / demo election {:?} is open for voting{}; credentials and teller keys in {}",
                info.election_id,
                if info.created { " (prepared now)" } else { "" },
                info.dir.display()
            );
        }
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        eprintln!("票决 Piaojue serving on http://{}", listener.local_addr()?);
        piaojue_server::serve(listener, state, shutdown_signal()).await?;
        Ok(())
    })
}

fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(f, "{text}")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
