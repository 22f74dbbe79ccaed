//! The database: SQLite (embedded, the default) or PostgreSQL, through one `sqlx::AnyPool` and
//! the same SQL. Each backend has its own migrations folder (they differ only in type names, and
//! in PostgreSQL's storage setting for entry bodies, `0004_entry_storage.sql`).
//!
//! SQLite runs in WAL mode with `synchronous=FULL`: a commit is on disk when it returns, so a
//! ballot acknowledged after its commit survives a crash or power loss.
//!
//! A connection that is still inside a transaction when it comes back to the pool is closed,
//! never reused: a COMMIT or ROLLBACK that failed (SQLite on a full disk) can leave it so, and
//! the next `begin` on it would only open a savepoint inside the stale transaction — whose
//! "commit" writes nothing to disk while the connection itself sees the rows (issue 19).

use std::str::FromStr;
use std::time::Duration;

use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Connection, Executor};

use crate::health::StorageHealth;

/// Which database the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A connection pool and its backend.
#[derive(Clone, Debug)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    /// The backend.
    pub backend: Backend,
    /// Whether the database accepts writes (a full disk), as the last commit showed.
    pub health: Arc<StorageHealth>,
}

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Creates the SQLite database file of `url` readable by its owner only (0600), or narrows an
/// existing one to that: it holds the deputies' credentials list, the staff tokens' hashes and
/// the proposals' private contacts. SQLite gives its `-wal` and `-shm` files the same mode.
fn private_sqlite_file(url: &str) -> Result<(), sqlx::Error> {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let path = std::path::Path::new(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(sqlx::Error::Io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(sqlx::Error::Io)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(sqlx::Error::Io)?;
            tracing::warn!(path = %path.display(), "the database file was readable by others: now 0600");
        }
    }
    Ok(())
}

/// A database whose schema a newer release wrote: this build does not know its newest
/// migration, and never migrates backwards.
#[derive(Debug, thiserror::Error)]
#[error(
    "the database's schema is version {database}, newer than this piaojue's newest schema, \
     version {build}: a newer release wrote it, and databases are only migrated forward; run that \
     release (or a newer one) on it, or restore a backup made by this release"
)]
pub struct NewerSchema {
    /// The newest migration applied to the database.
    pub database: i64,
    /// The newest migration this build knows.
    pub build: i64,
}

/// The newest migration applied to the database (none on a new one).
pub async fn applied_version(pool: &AnyPool, backend: Backend) -> Result<Option<i64>, sqlx::Error> {
    let exists: i64 = sqlx::query_scalar(match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()"
        }
    })
    .fetch_one(pool)
    .await?;
    if exists == 0 {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
}

/// Refuses, before migrating anything, a database whose newest migration is newer than this
/// build's newest ([`NewerSchema`]). An older one is migrated forward by the caller.
async fn refuse_newer_schema(
    pool: &AnyPool,
    backend: Backend,
    migrator: &sqlx::migrate::Migrator,
) -> Result<(), sqlx::Error> {
    let build = migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    match applied_version(pool, backend).await? {
        Some(database) if database > build => {
            Err(sqlx::Error::Configuration(Box::new(NewerSchema {
                database,
                build,
            })))
        }
        _ => Ok(()),
    }
}

impl Db {
    /// Connects and runs the migrations (refusing a schema newer than this build's,
    /// [`NewerSchema`]). `url` is `sqlite:path` (the file is created) or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                format!("unsupported database URL {url:?}: use sqlite:FILE or postgres://…").into(),
            ));
        };
        if backend == Backend::Sqlite {
            private_sqlite_file(url)?;
        }
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(30))
            // A connection left inside a transaction is closed, not reused (see the module
            // documentation); checked both ways, so that none is ever handed out in that state.
            .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        };
        refuse_newer_schema(&pool, backend, migrator).await?;
        migrator.run(&pool).await?;
        Ok(Db {
            pool,
            backend,
            health: Arc::default(),
        })
    }

    /// The statement that starts a write transaction: SQLite takes its write lock at once
    /// (`BEGIN IMMEDIATE`). A custom `BEGIN` is also refused by sqlx on a connection already in
    /// a transaction, where a plain `begin` would silently nest a savepoint.
    pub fn begin_write(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }

    /// Whether the database answers and its schema is the one this build migrates to: the
    /// newest migration this build knows is applied, and none is applied that it does not know.
    pub async fn ready(&self) -> Result<(), String> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        };
        let applied: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| format!("the database does not answer: {e}"))?;
        let known: Vec<i64> = migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| m.version)
            .collect();
        if applied != known {
            return Err(format!(
                "the database's migrations {applied:?} are not this build's {known:?}"
            ));
        }
        Ok(())
    }
}
