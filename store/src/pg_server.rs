//! A real PostgreSQL server for tests: its own data folder in a temp dir, on a free loopback
//! port, run as an unprivileged user, stopped when dropped.
//!
//! The binaries come from Debian's `postgresql` package (`/usr/lib/postgresql/*/bin/`). Tests
//! that need them carry `#[cfg_attr(op_no_postgres, ignore = ...)]`: the build script sets
//! `op_no_postgres` when they are missing (never under `OP_REQUIRE_POSTGRES=1`, as in CI), so the
//! summary shows those tests as ignored instead of passed.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{DatabaseUrl, Store};

/// The user the server runs as when the tests run as root (Debian's package creates it).
const SERVER_USER: &str = "postgres";

/// The newest `/usr/lib/postgresql/<version>/bin` with both `initdb` and `postgres`.
fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file())
                .then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// A running server; stopped (fast shutdown, then SIGKILL of its own PID) when dropped.
#[derive(Debug)]
pub struct PgServer {
    child: Child,
    bin: PathBuf,
    port: u16,
    /// Removed after the server has stopped (fields drop after `Drop::drop`).
    _dir: tempfile::TempDir,
}

impl PgServer {
    /// Initialises a cluster in a temp dir and starts it; panics with the server's log on failure.
    pub fn start() -> PgServer {
        let bin = bin_dir().expect(
            "PostgreSQL is not installed (apt-get install postgresql): its binaries are looked \
             for in /usr/lib/postgresql/*/bin",
        );
        let dir = tempfile::Builder::new()
            .prefix("op-store-pg-")
            .tempdir()
            .expect("temp dir");
        let as_root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        if as_root {
            // PostgreSQL refuses to run as root: the folder goes to the server's own user.
            run(Command::new("chown")
                .arg(format!("{SERVER_USER}:"))
                .arg(dir.path()));
        }
        let data = dir.path().join("data");
        run(unprivileged(as_root, &bin.join("initdb"))
            .args([
                "--auth=trust",
                "--username=op",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .arg("--no-sync")
            .arg("-D")
            .arg(&data));
        let port = free_port();
        let log = dir.path().join("server.log");
        let log_file = File::create(&log).expect("server log");
        if as_root {
            run(Command::new("chown")
                .arg(format!("{SERVER_USER}:"))
                .arg(&log));
        }
        let child = unprivileged(as_root, &bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(dir.path())
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            // Durability is not what these tests check; the server's speed is.
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .expect("start postgres");
        let mut server = PgServer {
            child,
            bin,
            port,
            _dir: dir,
        };
        server.wait_until_ready(&log);
        server
    }

    fn wait_until_ready(&mut self, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            let exited = self.child.try_wait().expect("postgres status");
            if exited.is_some() || Instant::now() > deadline {
                panic!(
                    "PostgreSQL did not start ({exited:?}); its log:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The URL of the server's `postgres` database.
    pub fn url(&self) -> DatabaseUrl {
        format!(
            "postgres://op@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
        .parse()
        .expect("test database URL")
    }

    /// The URL with other query parameters (`sslmode=require`, ...).
    pub fn url_with(&self, query: &str) -> Result<DatabaseUrl, crate::KvError> {
        format!("postgres://op@127.0.0.1:{}/postgres?{query}", self.port).parse()
    }

    /// Runs SQL with `psql`, as the tests' own hand on the database.
    pub fn psql(&self, sql: &str) {
        run(Command::new(self.bin.join("psql"))
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-h", "127.0.0.1", "-U", "op"])
            .args(["-p", &self.port.to_string(), "-d", "postgres", "-c", sql]));
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // SIGINT is PostgreSQL's fast shutdown; only our own child's PID is signalled.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command run as the server's user when the tests run as root (`setpriv` execs, so the
/// child's PID is the program's own).
fn unprivileged(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid",
            SERVER_USER,
            "--regid",
            SERVER_USER,
            "--init-groups",
            "--",
        ])
        .arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) {
    let out = command.output().expect("run a PostgreSQL tool");
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A loopback port nobody listens on now. PostgreSQL takes a port number, not a socket, so the
/// test binds port 0, reads the number and lets go; a lost race shows as a start failure.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A store on a fresh server, for the contract suite.
pub fn open_store() -> (Store, PgServer) {
    let server = PgServer::start();
    let store = Store::open_postgres(&server.url()).expect("open the store on PostgreSQL");
    (store, server)
}
