//! `openplatforms up`: the hub and a pod server in one process on embedded storage.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use op_protocol::clock::Clock;

/// Flags of `up`; each has an environment variable too.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Seed a demo worker (with a hosted pod and records), platform, matcher and worker app.
    #[arg(long)]
    demo: bool,
    /// Where all data lives.
    #[arg(long = "data", env = "OP_DATA", default_value = "data")]
    data_dir: PathBuf,
    /// Address of the hub; port 0 picks a free port.
    #[arg(long, env = "OP_HUB_LISTEN", default_value = "127.0.0.1:8080")]
    hub_listen: String,
    /// Address of the pod server; port 0 picks a free port.
    #[arg(long, env = "OP_POD_LISTEN", default_value = "127.0.0.1:8081")]
    pod_listen: String,
    /// Address of the demo matcher page (with --demo); port 0 picks a free port.
    #[arg(long, env = "OP_MATCHER_LISTEN", default_value = "127.0.0.1:8082")]
    matcher_listen: String,
}

/// The two servers, running.
pub struct Stack {
    pub hub: op_hub::RunningHub,
    pub pod: op_pod::RunningPod,
}

/// Starts the hub and the pod server; the pod trusts the hub's keys and the hub provisions pods
/// on the pod server. Both admin tokens are generated into the data directory on first run.
pub async fn start(data: &Path, hub_listen: &str, pod_listen: &str) -> anyhow::Result<Stack> {
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data directory {}", data.display()))?;
    let pod_admin = read_or_create_secret(&data.join("pod-admin-token"))?;
    let hub_admin = read_or_create_secret(&data.join("hub-admin-token"))?;
    // Bind the pod's port first so the hub knows where to provision pods.
    let pod_addr: std::net::SocketAddr = pod_listen
        .parse()
        .with_context(|| format!("--pod-listen {pod_listen:?}"))?;
    let pod_listener =
        TcpListener::bind(pod_addr).with_context(|| format!("cannot listen on {pod_addr}"))?;
    let pod_url = format!("http://{}", pod_listener.local_addr()?);
    let hub_config = op_hub::config::RawConfig {
        listen: Some(hub_listen.to_owned()),
        data_dir: Some(data.join("hub")),
        admin_token: Some(hub_admin),
        pod_provider: Some(op_hub::config::RawPodProvider {
            url: pod_url,
            admin_token: None,
        }),
        ..Default::default()
    }
    .validate()
    .map_err(anyhow::Error::msg)?;
    let hub = op_hub::start(hub_config, Clock::system())
        .await
        .context("cannot start the hub")?;
    // The pod follows the hub over HTTP (discovery, keys, revocation feed) as a resource server.
    let (client_id, client_secret) = resource_server_credentials(&hub.hub, data).await?;
    let pod_config = op_pod::config::RawConfig {
        data_dir: Some(data.join("pod")),
        admin_token: Some(pod_admin),
        trusted_issuer: vec![op_pod::config::RawIssuer {
            issuer: hub.issuer.clone(),
            jwks_file: None,
            client_id: Some(client_id),
            client_secret: Some(client_secret),
        }],
        ..Default::default()
    }
    .validate()
    .map_err(anyhow::Error::msg)?;
    let pod = op_pod::start_on(pod_config, pod_listener, Clock::system())
        .await
        .context("cannot start the pod server")?;
    Ok(Stack { hub, pod })
}

/// The pod server's client credentials at the hub: registered on first run, kept in
/// `DATA/pod-hub-client.json` (mode 0600).
async fn resource_server_credentials(
    hub: &op_hub::state::Hub,
    data: &Path,
) -> anyhow::Result<(String, String)> {
    let path = data.join("pod-hub-client.json");
    if let Some(saved) = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        && let (Some(id), Some(secret)) =
            (saved["client_id"].as_str(), saved["client_secret"].as_str())
        && op_hub::client::CLIENTS.get(&hub.store, id)?.is_some()
    {
        return Ok((id.to_owned(), secret.to_owned()));
    }
    let new = op_hub::client::NewClient {
        id: format!("pod-server-{:08x}", rand::random::<u32>()),
        kind: op_hub::client::ClientKind::ResourceServer,
        name: "Local pod server".into(),
        homepage: None,
        logo: None,
        purpose: None,
        redirect_uris: Vec::new(),
        public: false,
        jwks: None,
        certified: true,
    };
    let (client, secret) = op_hub::http::admin::register(hub, new)
        .await
        .map_err(|e| anyhow::anyhow!("cannot register the pod server at the hub: {e}"))?;
    let secret = secret.context("a confidential client has a secret")?;
    let saved = serde_json::json!({ "client_id": client.id, "client_secret": secret });
    write_private(&path, saved.to_string().as_bytes())?;
    Ok((client.id.to_string(), secret))
}

/// Runs until Ctrl-C or SIGTERM, then stops both servers cleanly.
#[allow(clippy::print_stdout)] // Telling the user where to go is this command's job.
pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    let stack = start(&args.data_dir, &args.hub_listen, &args.pod_listen).await?;
    println!("Open Platforms is running.");
    println!();
    println!("  hub          {}/", stack.hub.issuer);
    println!("  pod server   {}/", stack.pod.base_url);
    println!("  data         {}", args.data_dir.display());
    println!(
        "  admin tokens {} and {}",
        args.data_dir.join("hub-admin-token").display(),
        args.data_dir.join("pod-admin-token").display()
    );
    println!();
    println!(
        "  Sign up at   {}{}",
        stack.hub.issuer,
        op_protocol::routes::HUB_SIGNUP
    );
    let mut matcher_page = None;
    if args.demo {
        let addr: std::net::SocketAddr = args
            .matcher_listen
            .parse()
            .with_context(|| format!("--matcher-listen {:?}", args.matcher_listen))?;
        let listener =
            TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
        let page_url = format!("http://{}/", listener.local_addr()?);
        let demo = crate::demo::seed(&stack, &args.data_dir, &page_url).await?;
        let hub_client = op_connector::oauth::HubClient::discover(
            op_connector::hub::http_client(),
            &demo.hub_url,
            &demo.matcher.client_id,
            Some(&demo.matcher.client_secret),
            &demo.matcher.redirect_uri,
            stack.hub.hub.clock.clone(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("the demo matcher cannot reach the hub: {e}"))?;
        let page = crate::http::demo_matcher::start_on(listener, hub_client, demo.pod_url.clone())
            .context("cannot start the demo matcher page")?;
        demo.print(&args.data_dir);
        println!(
            "  demo matcher {} (runs the consent flow and verifies what it reads)",
            page.url
        );
        matcher_page = Some(page);
    } else {
        println!("  Register platforms and matchers with the hub's admin API (docs/HUB.md),");
        println!("  or run `up --demo` for a demo worker, platform and matcher.");
    }
    println!();
    println!("Press Ctrl-C to stop.");
    // The pod stops first (ending its revocation-feed connection), then the hub.
    let (stop_hub, pod_handle) = (stack.hub.stopper(), stack.pod.handle());
    let page_handle = matcher_page.as_ref().map(|p| p.handle.clone());
    tokio::spawn(async move {
        op_pod::cli::shutdown_signal().await;
        if let Some(page) = page_handle {
            page.stop(true).await;
        }
        pod_handle.stop(true).await;
        stop_hub.await;
    });
    let (hub, pod) = tokio::join!(stack.hub.wait(), stack.pod.wait());
    hub.context("the hub stopped with an error")?;
    pod.context("the pod server stopped with an error")?;
    println!("Stopped; every acknowledged write is on disk.");
    Ok(())
}

/// Reads a secret from `path`, or generates 256 random bits into it (mode 0600 on Unix).
pub fn read_or_create_secret(path: &Path) -> anyhow::Result<String> {
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
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
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
