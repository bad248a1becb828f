//! `opctl`: keys, Gig Data Standard conversion, signing and verifying records from the command line.
//!
//! Exit codes: 0 success (for `record verify`: every record valid), 1 failure (for `record verify`:
//! some record invalid, revoked or unverifiable, with the reason), 2 usage error.

mod link;
mod matcher;
mod platform;
mod report;
mod settings;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser, Subcommand, ValueEnum};
use op_connector::batch::{self, Layout};
use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::{ControllerDocument, Controllers, KeyFile, KeyPair, VerificationMethodId};
use op_protocol::record::{
    ClientData, Credential, Earnings, GigExport, Issuance, RecordStatus, Signer, StatusAllocation,
    StatusCheck, Verifier, convert,
};
use op_protocol::status::{StatusList, StatusLists, StatusPurpose, status_list_credential};
use rand::RngCore;
use serde_json::Value;

#[derive(Parser)]
#[command(
    name = "opctl",
    version,
    about = "Open Platforms connector: signed gig records"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ed25519 keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Gig Data Standard exports.
    #[command(subcommand)]
    Gigdata(GigdataCommand),
    /// Signing and verifying records.
    #[command(subcommand)]
    Record(RecordCommand),
    /// Revocation status lists.
    #[command(subcommand)]
    Status(StatusCommand),
    /// For platforms: link a worker, push records, check the link.
    #[command(subcommand)]
    Platform(platform::PlatformCommand),
    /// For matchers: ask for consent, fetch and verify records.
    #[command(subcommand)]
    Matcher(matcher::MatcherCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Prints a new key file ({publicKeyMultibase, secretKeyMultibase}); its did:key goes to stderr.
    Generate,
    /// Registers the key's public half at a hub for a platform; prints the issuer and the
    /// verification method to sign with (`--issuer`, `--method` of `record sign`).
    Register {
        /// The key file.
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        client: settings::ClientSettings,
    },
    /// Prints the controller document that lets verifiers resolve ISSUER's key.
    Controller {
        #[command(flatten)]
        identity: Identity,
    },
}

#[derive(Subcommand)]
enum GigdataCommand {
    /// Converts an export into unsigned records: one per gig, one per achievement, one summary.
    Convert(ConvertArgs),
}

#[derive(Args)]
struct ConvertArgs {
    /// The Gig Data Standard export (JSON).
    export: PathBuf,
    /// URL where the platform publishes its revocation status list credential.
    #[arg(long)]
    status_list: String,
    /// Status list index of the first record; the others follow.
    #[arg(long, default_value_t = 0)]
    status_index: u64,
    /// The platform's name or URL; record ids derive from it.
    #[arg(long, default_value = "")]
    platform: String,
    /// The worker's WebID or DID.
    #[arg(long)]
    subject: Option<String>,
    /// How much of each client to copy.
    #[arg(long, value_enum, default_value_t = ClientArg::IdOnly)]
    client_data: ClientArg,
    /// Leave income out of the records.
    #[arg(long)]
    omit_earnings: bool,
    /// JSON object mapping gig types to ESCO skill/occupation IRIs.
    #[arg(long)]
    skills: Option<PathBuf>,
    /// validFrom of the records (default: now).
    #[arg(long)]
    valid_from: Option<String>,
    /// Write one record per line instead of a JSON array.
    #[arg(long)]
    lines: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ClientArg {
    IdOnly,
    Full,
    Omit,
}

#[derive(Subcommand)]
enum RecordCommand {
    /// Signs unsigned records (an object, an array or JSON lines; output in the same layout).
    Sign {
        #[command(flatten)]
        identity: Identity,
        /// The unsigned records.
        input: PathBuf,
    },
    /// Verifies records: signature, issuer = key controller, validity period, revocation status.
    Verify {
        /// The signed records.
        input: PathBuf,
        /// A controller document for an issuer that is not a did:key (repeatable).
        #[arg(long)]
        controller: Vec<PathBuf>,
        /// A hub whose registered platforms' keys are fetched for issuers under {hub}/platforms/.
        #[arg(long, env = "OP_HUB_URL")]
        hub: Option<String>,
        /// A status list credential the records refer to, as a file or an http(s) URL
        /// (repeatable). With --hub, the lists the hub hosts for the records' issuers are fetched
        /// without it.
        #[arg(long)]
        status_list: Vec<String>,
        /// Do not check revocation status.
        #[arg(long)]
        skip_status: bool,
    },
}

#[derive(Subcommand)]
enum StatusCommand {
    /// Prints a signed revocation status list credential with the given indexes revoked.
    Issue {
        #[command(flatten)]
        identity: Identity,
        /// The URL the list will be published at (the records' statusListCredential).
        #[arg(long)]
        url: String,
        /// An index to revoke (repeatable).
        #[arg(long)]
        revoke: Vec<u64>,
    },
}

#[derive(Args)]
struct Identity {
    /// The key file.
    #[arg(long)]
    key: PathBuf,
    /// The issuer to sign as (default: the key's did:key).
    #[arg(long)]
    issuer: Option<String>,
    /// The verification method id (default: ISSUER#<publicKeyMultibase>).
    #[arg(long, requires = "issuer")]
    method: Option<String>,
}

/// A failure: usage errors exit 2, everything else 1.
pub(crate) enum Failure {
    Usage(anyhow::Error),
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Failed(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command, &Clock::system()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(e)) => {
            eprintln!("opctl: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(e)) => {
            eprintln!("opctl: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(command: Command, clock: &Clock) -> Result<(), Failure> {
    match command {
        Command::Platform(c) => platform::platform(c, clock),
        Command::Matcher(c) => matcher::matcher(c, clock),
        Command::Keys(KeysCommand::Generate) => {
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            let key = KeyPair::from_seed(seed);
            eprintln!("did:key:{}", key.public().to_multibase());
            let file = serde_json::to_value(key.to_file()).map_err(anyhow::Error::from)?;
            emit(&batch::write(Layout::Single, &[file]))
        }
        Command::Keys(KeysCommand::Register { key, client }) => link::register_key(client, &key),
        Command::Keys(KeysCommand::Controller { identity }) => {
            let signer = signer(&identity)?;
            let doc = ControllerDocument::with_assertion_key(
                signer.issuer(),
                signer
                    .method()
                    .as_str()
                    .rsplit_once('#')
                    .map_or("", |(_, f)| f),
                &key_of(&identity.key)?.public(),
            );
            let doc = serde_json::to_value(doc).map_err(anyhow::Error::from)?;
            emit(&batch::write(Layout::Single, &[doc]))
        }
        Command::Gigdata(GigdataCommand::Convert(args)) => convert_export(&args, clock),
        Command::Record(RecordCommand::Sign { identity, input }) => {
            let signer = signer(&identity)?;
            let (layout, docs) = read_batch(&input)?;
            let signed = docs
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let record =
                        Credential::from_json(d).with_context(|| format!("document {}", i + 1))?;
                    signer
                        .sign(&record, clock)
                        .with_context(|| format!("document {}", i + 1))
                })
                .collect::<Result<Vec<_>>>()?;
            emit(&batch::write(layout, &signed))
        }
        Command::Record(RecordCommand::Verify {
            input,
            controller,
            hub,
            status_list,
            skip_status,
        }) => verify_records(
            &input,
            &Resolve {
                files: &controller,
                hub: hub.as_deref(),
            },
            &status_list,
            skip_status,
            clock,
        ),
        Command::Status(StatusCommand::Issue {
            identity,
            url,
            revoke,
        }) => {
            let signer = signer(&identity)?;
            AbsoluteIri::parse("--url", &url).map_err(|e| Failure::Usage(e.into()))?;
            let mut list = StatusList::new(0);
            for i in revoke {
                list.set(i, true).map_err(|e| Failure::Usage(e.into()))?;
            }
            let unsigned = status_list_credential(&url, StatusPurpose::Revocation, &list);
            let signed = signer
                .sign_status_list(&unsigned, clock)
                .map_err(anyhow::Error::from)?;
            emit(&batch::write(Layout::Single, &[signed]))
        }
    }
}

fn convert_export(args: &ConvertArgs, clock: &Clock) -> Result<(), Failure> {
    let usage = |e: anyhow::Error| Failure::Usage(e);
    let list =
        AbsoluteIri::parse("--status-list", &args.status_list).map_err(|e| usage(e.into()))?;
    let valid_from = match &args.valid_from {
        Some(t) => DateTime::parse(t).map_err(|e| usage(e.into()))?,
        None => DateTime::from_unix_millis(clock.now_millis()),
    };
    let mut issuance = Issuance::new(
        &args.platform,
        valid_from,
        StatusAllocation {
            list,
            first_index: args.status_index,
        },
    );
    issuance.subject = args
        .subject
        .as_deref()
        .map(|s| AbsoluteIri::parse("--subject", s))
        .transpose()
        .map_err(|e| usage(e.into()))?;
    issuance.clients = match args.client_data {
        ClientArg::IdOnly => ClientData::IdOnly,
        ClientArg::Full => ClientData::Full,
        ClientArg::Omit => ClientData::Omit,
    };
    if args.omit_earnings {
        issuance.earnings = Earnings::Omit;
    }
    if let Some(path) = &args.skills {
        let map: BTreeMap<String, Vec<String>> =
            serde_json::from_str(&read(path)?).with_context(|| format!("{}", path.display()))?;
        for (kind, iris) in map {
            let iris = iris
                .iter()
                .map(|i| AbsoluteIri::parse("skill", i))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| usage(e.into()))?;
            issuance.skills.insert(kind, iris);
        }
    }
    let export = GigExport::from_json(&read(&args.export)?).map_err(anyhow::Error::from)?;
    let records: Vec<Value> = convert(&export, &issuance)
        .map_err(anyhow::Error::from)?
        .iter()
        .map(Credential::to_json)
        .collect();
    emit(&batch::write(
        if args.lines {
            Layout::Lines
        } else {
            Layout::Array
        },
        &records,
    ))
}

/// Where issuers' controller documents come from besides `did:key`.
struct Resolve<'a> {
    files: &'a [PathBuf],
    hub: Option<&'a str>,
}

/// Controller documents from files, then from the hub for its platforms named as issuers.
fn controllers(resolve: &Resolve<'_>, docs: &[Value]) -> Result<Controllers, Failure> {
    let mut methods = Controllers::new();
    let mut known = std::collections::BTreeSet::new();
    for path in resolve.files {
        let doc: ControllerDocument = serde_json::from_str(&read(path)?)
            .with_context(|| format!("{} is not a controller document", path.display()))
            .map_err(Failure::Usage)?;
        known.insert(doc.id.clone());
        methods = methods.with(doc);
    }
    let Some(hub) = resolve.hub else {
        return Ok(methods);
    };
    let issuers: std::collections::BTreeSet<String> = docs
        .iter()
        .filter_map(|d| d.get("issuer").and_then(Value::as_str))
        .filter(|i| op_connector::hub::is_hub_platform(hub, i) && !known.contains(*i))
        .map(str::to_owned)
        .collect();
    if issuers.is_empty() {
        return Ok(methods);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(Failure::Failed)?;
    let http = op_connector::hub::http_client();
    for issuer in issuers {
        let doc = runtime
            .block_on(op_connector::hub::controller_document(&http, &issuer))
            .map_err(|e| Failure::Failed(anyhow!("cannot resolve issuer {issuer}: {e}")))?;
        methods = methods.with(doc);
    }
    Ok(methods)
}

/// The status list credentials to check against: each `--status-list` (a file, or an http(s) URL
/// fetched), and with a hub, every list the records name where the hub hosts their issuer's lists
/// (`{issuer}/status/{name}`, the same rule as `matcher fetch`: no other address is called).
fn status_lists(
    given: &[String],
    hub: Option<&str>,
    docs: &[Value],
) -> Result<StatusLists, Failure> {
    let mut urls: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut lists = StatusLists::new();
    for arg in given {
        if arg.starts_with("https://") || arg.starts_with("http://") {
            urls.insert(arg.clone());
            continue;
        }
        let list: Value = serde_json::from_str(&read(Path::new(arg))?)
            .with_context(|| format!("{arg} is not JSON"))
            .map_err(Failure::Usage)?;
        lists = lists.with(list);
    }
    if let Some(hub) = hub {
        urls.extend(docs.iter().filter_map(|d| {
            let issuer = d.get("issuer").and_then(Value::as_str)?;
            let url = d
                .pointer("/credentialStatus/statusListCredential")?
                .as_str()?;
            let hosted = op_connector::hub::is_hub_platform(hub, issuer)
                && op_connector::verify::is_hosted_list(issuer, url);
            hosted.then(|| url.to_owned())
        }));
    }
    if urls.is_empty() {
        return Ok(lists);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(Failure::Failed)?;
    let http = op_connector::hub::http_client();
    for url in urls {
        let list: Value = runtime
            .block_on(async {
                let res = http.get(&url).send().await?.error_for_status()?;
                res.json().await
            })
            .map_err(|e| Failure::Failed(anyhow!("cannot fetch the status list {url}: {e}")))?;
        lists = lists.with(list);
    }
    Ok(lists)
}

fn verify_records(
    input: &Path,
    resolve: &Resolve<'_>,
    given_lists: &[String],
    skip_status: bool,
    clock: &Clock,
) -> Result<(), Failure> {
    let (_, docs) = read_batch(input)?;
    let methods = controllers(resolve, &docs)?;
    let lists = if skip_status {
        StatusLists::new()
    } else {
        status_lists(given_lists, resolve.hub, &docs)?
    };
    let status = if skip_status {
        StatusCheck::Skip
    } else {
        StatusCheck::Required(&lists)
    };
    let verifier = Verifier {
        methods: &methods,
        status,
        clock,
    };
    let mut report = String::new();
    let mut all_valid = true;
    for (i, doc) in docs.iter().enumerate() {
        let id = doc.get("id").and_then(Value::as_str).unwrap_or("(no id)");
        let line = match verifier.verify(doc) {
            Ok(v) if v.is_valid() => {
                let note = if v.status == RecordStatus::NotChecked {
                    " (status not checked)"
                } else {
                    ""
                };
                format!(
                    "valid    {id} {} issued by {}{note}",
                    v.record.kind(),
                    v.issuer
                )
            }
            Ok(v) => {
                all_valid = false;
                format!("invalid  {id}: {:?} by its issuer {}", v.status, v.issuer)
            }
            Err(e) => {
                all_valid = false;
                format!("invalid  {id} (document {}): {e}", i + 1)
            }
        };
        report.push_str(&line);
        report.push('\n');
    }
    emit(&report)?;
    if all_valid {
        Ok(())
    } else {
        Err(Failure::Failed(anyhow!(
            "{} record(s) did not verify",
            report.lines().filter(|l| l.starts_with("invalid")).count()
        )))
    }
}

fn signer(identity: &Identity) -> Result<Signer, Failure> {
    let key = key_of(&identity.key)?;
    let Some(issuer) = &identity.issuer else {
        return Ok(Signer::did_key(key));
    };
    let usage = |e: anyhow::Error| Failure::Usage(e);
    let issuer = AbsoluteIri::parse("--issuer", issuer).map_err(|e| usage(e.into()))?;
    let method = match &identity.method {
        Some(m) => m.clone(),
        None => format!("{issuer}#{}", key.public().to_multibase()),
    };
    let method = VerificationMethodId::parse(&method).map_err(|e| usage(e.into()))?;
    Ok(Signer::new(key, issuer, method))
}

fn key_of(path: &Path) -> Result<KeyPair, Failure> {
    let file: KeyFile = serde_json::from_str(&read(path)?)
        .with_context(|| format!("{} is not a key file", path.display()))
        .map_err(Failure::Usage)?;
    file.key_pair()
        .with_context(|| format!("{}", path.display()))
        .map_err(Failure::Usage)
}

pub(crate) fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", path.display()))
        .map_err(Failure::Usage)
}

fn read_batch(path: &Path) -> Result<(Layout, Vec<Value>), Failure> {
    batch::read(&read(path)?)
        .with_context(|| format!("{}", path.display()))
        .map_err(Failure::Usage)
}

fn emit(text: &str) -> Result<(), Failure> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("cannot write to stdout")
        .map_err(Failure::Failed)
}

/// Writes a file readable by its owner only.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(Failure::Failed)
}
