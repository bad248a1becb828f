//! `opctl`: keys, Gig Data Standard conversion, signing and verifying records from the command line.
//!
//! Exit codes: 0 success (for `record verify`: every record valid), 1 failure (for `record verify`:
//! some record invalid, revoked or unverifiable, with the reason), 2 usage error.

mod link;
mod matcher;
mod platform;
mod records;
mod report;
mod settings;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use op_connector::batch::{self, Layout};
use op_protocol::clock::Clock;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::{ControllerDocument, KeyPair};
use op_protocol::record::Credential;
use op_protocol::status::{StatusList, StatusPurpose, status_list_credential};
use rand::RngCore;
use serde_json::Value;

use records::{Resolve, convert_export, key_of, signer, verify_records};

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
