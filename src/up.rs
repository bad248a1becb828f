//! `openplatforms up`: start the stack on embedded storage and print where to go.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use op_pod::config::{RawConfig, RawIssuer};
use op_protocol::clock::Clock;

/// Flags of `up`; each has an environment variable too.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Seed a demo worker pod with records and print a development token to read it.
    #[arg(long)]
    demo: bool,
    /// Where all data lives.
    #[arg(long = "data", env = "OP_DATA", default_value = "data")]
    data_dir: PathBuf,
    /// Address of the pod server; port 0 picks a free port.
    #[arg(long, env = "OP_POD_LISTEN", default_value = "127.0.0.1:8081")]
    pod_listen: String,
    /// Admin token for the pod server's admin API (default: generated into DATA/pod-admin-token).
    #[arg(long, env = "OP_POD_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

/// Runs until Ctrl-C or SIGTERM, then stops cleanly.
#[allow(clippy::print_stdout)] // Telling the user where to go is this command's job.
pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            args.data_dir.display()
        )
    })?;
    let admin_token = match args.admin_token {
        Some(t) => t,
        None => read_or_create_secret(&args.data_dir.join("pod-admin-token"))?,
    };
    let mut trusted = Vec::new();
    let demo_issuer = if args.demo {
        let issuer = crate::demo::DevIssuer::load_or_create(&args.data_dir)?;
        trusted.push(RawIssuer {
            issuer: issuer.iss.clone(),
            jwks_file: issuer.jwks_path.clone(),
        });
        Some(issuer)
    } else {
        None
    };
    let config = RawConfig {
        listen: Some(args.pod_listen.clone()),
        data_dir: Some(args.data_dir.join("pod")),
        admin_token: Some(admin_token),
        trusted_issuer: trusted,
        ..RawConfig::default()
    }
    .validate()
    .map_err(anyhow::Error::msg)?;
    let running = op_pod::start(config, Clock::system())
        .await
        .context("cannot start the pod server")?;
    println!("Open Platforms is running (pod server only: the hub is not built yet).");
    println!();
    println!("  pod server   {}/", running.base_url);
    println!("  data         {}", args.data_dir.display());
    println!(
        "  admin API    {}{} (token in {})",
        running.base_url,
        op_protocol::routes::POD_ADMIN_PODS,
        args.data_dir.join("pod-admin-token").display()
    );
    if let Some(issuer) = demo_issuer {
        crate::demo::seed_and_print(&running, &issuer, &args.data_dir).await?;
    } else {
        println!();
        println!("  No pods yet: create one with");
        println!(
            "    curl -X POST -H \"Authorization: Bearer $(cat {})\" -d '{{\"name\":\"alice\"}}' {}{}",
            args.data_dir.join("pod-admin-token").display(),
            running.base_url,
            op_protocol::routes::POD_ADMIN_PODS
        );
        println!("  or run `up --demo` for a demo worker with records.");
    }
    println!();
    println!("Press Ctrl-C to stop.");
    let handle = running.handle();
    tokio::spawn(async move {
        op_pod::cli::shutdown_signal().await;
        handle.stop(true).await;
    });
    running
        .wait()
        .await
        .context("the pod server stopped with an error")?;
    println!("Stopped; every acknowledged write is on disk.");
    Ok(())
}

/// Reads a secret from `path`, or generates 256 random bits into it (mode 0600 on Unix).
pub fn read_or_create_secret(path: &std::path::Path) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(existing.trim().to_owned());
    }
    let secret: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    write_private(path, secret.as_bytes())?;
    Ok(secret)
}

/// Writes a file readable by its owner only.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
