//! The Render Blueprints checked against the code: a Blueprint that disagrees with the
//! server deploys fine and then fails its health check, loses data or is killed
//! mid-request. `render.yaml` is the single instance on a disk, `render.postgres.yaml` two
//! instances on a Render Postgres database; what holds for both is checked on both.
//!
//! The file is read with a small parser for the YAML subset a Blueprint uses (block
//! mappings, block sequences of mappings, plain or quoted scalars, comments), which
//! flattens it to `services[0].disk.mountPath`-style paths; anything outside that subset
//! fails the test with the line number rather than being misread.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};
use scorewatch_api::cli::migrate::FALLBACK_ENV as DATABASE_URL_FALLBACK_ENV;
use scorewatch_api::cli::{Cli, Command};
use scorewatch_api::config::{API_KEYS_ENV, DEFAULT_SHUTDOWN_TIMEOUT_SECS};

/// The single-instance Blueprint, data on a disk.
const ON_DISK: &str = "render.yaml";
/// The replicated Blueprint, data in PostgreSQL.
const ON_POSTGRES: &str = "render.postgres.yaml";
const BLUEPRINTS: [&str; 2] = [ON_DISK, ON_POSTGRES];

fn read_blueprint(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One open block: its indentation and the path prefix of its children.
struct Frame {
    indent: usize,
    prefix: String,
    /// For a sequence: how many items were opened so far.
    items: Option<usize>,
}

fn unquote(raw: &str) -> String {
    let value = raw.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner.to_owned();
        }
    }
    // A plain scalar ends at " #" (a trailing comment).
    value
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Flattens the YAML subset of a Blueprint into `path -> scalar`.
fn flatten(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack: Vec<Frame> = vec![Frame {
        indent: 0,
        prefix: String::new(),
        items: None,
    }];
    // The key whose value is a nested block opened on the next lines.
    let mut pending: Option<(usize, String)> = None;
    for (number, line) in text.lines().enumerate() {
        let line_no = number + 1;
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut indent = line.len() - trimmed.len();
        let mut body = trimmed;
        if let Some((parent_indent, prefix)) = pending.take() {
            assert!(
                indent > parent_indent || body.starts_with("- "),
                "blueprint line {line_no}: empty value for {prefix}"
            );
            let items = body.starts_with("- ").then_some(0);
            stack.push(Frame {
                indent,
                prefix,
                items,
            });
        }
        while stack.len() > 1 && indent < stack.last().map_or(0, |f| f.indent) {
            stack.pop();
        }
        let top = stack.last_mut().expect("root frame");
        let mut prefix = top.prefix.clone();
        if let Some(rest) = body.strip_prefix("- ") {
            let index = top
                .items
                .as_mut()
                .unwrap_or_else(|| panic!("blueprint line {line_no}: list item in a mapping"));
            let item = format!("{prefix}[{index}]");
            *index += 1;
            // The item's own keys sit two columns right of the dash.
            indent += 2;
            body = rest;
            stack.push(Frame {
                indent,
                prefix: item.clone(),
                items: None,
            });
            prefix = item;
        }
        let (key, value) = body
            .split_once(':')
            .unwrap_or_else(|| panic!("blueprint line {line_no}: expected `key: value`"));
        let path = if prefix.is_empty() {
            key.trim().to_owned()
        } else {
            format!("{prefix}.{}", key.trim())
        };
        let value = unquote(value);
        // `[]` is the one flow value a Blueprint needs (an empty list, as `ipAllowList`).
        if value.is_empty() {
            pending = Some((indent, path));
        } else {
            assert!(
                value == "[]" || !value.starts_with(['{', '[', '|', '>', '&', '*']),
                "blueprint line {line_no}: flow or block scalar not supported: {value}"
            );
            out.insert(path, value);
        }
    }
    out
}

/// One Blueprint, flattened: its paths (`services[0].disk.mountPath`) and scalars.
struct Blueprint {
    name: &'static str,
    all: BTreeMap<String, String>,
}

impl Blueprint {
    fn load(name: &'static str) -> Self {
        Self {
            name,
            all: flatten(&read_blueprint(name)),
        }
    }

    /// The one web service's fields, without the `services[i].` prefix.
    fn service(&self) -> BTreeMap<String, String> {
        let web: Vec<String> = self
            .all
            .iter()
            .filter(|(k, v)| k.starts_with("services[") && k.ends_with("].type") && *v == "web")
            .map(|(k, _)| k.trim_end_matches(".type").to_owned())
            .collect();
        assert_eq!(web.len(), 1, "{}: one web service expected", self.name);
        let prefix = format!("{}.", web[0]);
        self.all
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_owned(), v.clone())))
            .collect()
    }
}

/// The service's environment variables, each with its fields (`value`,
/// `generateValue`, `fromDatabase.name`, ...).
fn env_vars(service: &BTreeMap<String, String>) -> BTreeMap<String, BTreeMap<String, String>> {
    (0..)
        .map_while(|i| {
            let key = service.get(&format!("envVars[{i}].key"))?;
            let prefix = format!("envVars[{i}].");
            let fields = service
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_owned(), v.clone())))
                .filter(|(k, _)| k != "key")
                .collect();
            Some((key.clone(), fields))
        })
        .collect()
}

fn env_value(service: &BTreeMap<String, String>, name: &str) -> Option<String> {
    env_vars(service).remove(name)?.remove("value")
}

/// Every environment variable the binary reads: the clap `env` of each flag, the API
/// keys, `DATABASE_URL` (Render's name for an attached database) and `RUST_LOG` (the
/// tracing filter).
fn known_env_vars() -> BTreeSet<String> {
    let mut names: BTreeSet<String> = [
        API_KEYS_ENV.to_owned(),
        DATABASE_URL_FALLBACK_ENV.to_owned(),
        "RUST_LOG".to_owned(),
    ]
    .into();
    let command = Cli::command();
    let mut commands = vec![&command];
    commands.extend(command.get_subcommands());
    for cmd in commands {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                names.insert(env.to_string_lossy().into_owned());
            }
        }
    }
    names
}

#[test]
fn the_flattener_reads_nested_lists() {
    let flat = flatten("a:\n  - k: 1\n    v: 'x # y'\n  - k: 2 # note\nb:\n  c: d\n  e: []\n");
    assert_eq!(flat["a[0].k"], "1");
    assert_eq!(flat["a[0].v"], "x # y");
    assert_eq!(flat["a[1].k"], "2");
    assert_eq!(flat["b.c"], "d");
    assert_eq!(flat["b.e"], "[]");
}

#[test]
fn web_service_is_a_rust_service_built_from_the_api_crate() {
    for name in BLUEPRINTS {
        let service = Blueprint::load(name).service();
        assert_eq!(service["runtime"], "rust", "{name}");
        assert!(
            service["buildCommand"].contains("-p scorewatch-api"),
            "{name}: {}",
            service["buildCommand"]
        );
    }
}

#[test]
fn the_disk_variant_is_one_paid_instance_with_its_data_dir_on_the_disk() {
    let service = Blueprint::load(ON_DISK).service();
    assert_ne!(
        service.get("plan").map(String::as_str),
        Some("free"),
        "free has no disk"
    );
    // A disk pins a service to one instance; the data directory's lock would refuse a
    // second process anyway.
    assert_eq!(service.get("numInstances").map_or("1", String::as_str), "1");
    let mount = PathBuf::from(&service["disk.mountPath"]);
    let data_dir =
        env_value(&service, "SCOREWATCH_DATA_DIR").expect("SCOREWATCH_DATA_DIR has a value");
    let data_dir = PathBuf::from(data_dir);
    assert!(
        data_dir.is_absolute() && data_dir.starts_with(&mount),
        "data dir {} is not on the disk mounted at {}",
        data_dir.display(),
        mount.display()
    );
    let vars = env_vars(&service);
    assert!(!vars.contains_key(DATABASE_URL_FALLBACK_ENV), "{vars:?}");
}

#[test]
fn the_postgres_variant_runs_replicas_on_its_database_without_a_disk() {
    let blueprint = Blueprint::load(ON_POSTGRES);
    let service = blueprint.service();
    let instances: u32 = service["numInstances"]
        .parse()
        .expect("numInstances is a number");
    assert!(instances >= 2, "{instances}");
    assert!(
        !service.keys().any(|k| k.starts_with("disk.")),
        "a disk pins the service to one instance: {service:?}"
    );
    // The database the service's DATABASE_URL comes from is the one declared here, and
    // the URL is its connection string (not the host alone, nor a literal with a password).
    let database = &blueprint.all["databases[0].name"];
    let url = env_vars(&service)
        .remove(DATABASE_URL_FALLBACK_ENV)
        .expect("DATABASE_URL is set");
    assert_eq!(url.get("fromDatabase.name"), Some(database), "{url:?}");
    assert_eq!(
        url.get("fromDatabase.property").map(String::as_str),
        Some("connectionString")
    );
    assert!(!url.contains_key("value"), "{url:?}");
    // The binary takes DATABASE_URL when neither --database-url nor
    // SCOREWATCH_DATABASE_URL is given.
    assert_eq!(DATABASE_URL_FALLBACK_ENV, "DATABASE_URL");
    // No data directory on a disk to point at: the instance's own directory holds logs.
    assert_eq!(env_value(&service, "SCOREWATCH_DATA_DIR"), None);
}

#[test]
fn health_check_path_is_routed_by_the_app() {
    let api = scorewatch_api::startup::openapi();
    for name in BLUEPRINTS {
        let service = Blueprint::load(name).service();
        let path = &service["healthCheckPath"];
        let item = api
            .paths
            .paths
            .get(path)
            .unwrap_or_else(|| panic!("{name}: {path} is not a route of the app"));
        assert!(item.get.is_some(), "{name}: {path} has no GET");
    }
}

#[test]
fn shutdown_delay_covers_the_servers_grace_period() {
    for name in BLUEPRINTS {
        let service = Blueprint::load(name).service();
        let delay: u64 = service["maxShutdownDelaySeconds"]
            .parse()
            .expect("maxShutdownDelaySeconds is a number");
        let grace = env_value(&service, "SCOREWATCH_SHUTDOWN_TIMEOUT")
            .map_or(DEFAULT_SHUTDOWN_TIMEOUT_SECS, |v| {
                v.parse().expect("SCOREWATCH_SHUTDOWN_TIMEOUT is a number")
            });
        assert!(
            delay >= grace,
            "{name}: Render waits {delay} s, the server {grace} s"
        );
        // Render's own ceiling (https://render.com/docs/blueprint-spec).
        assert!(delay <= 300, "{name}: {delay}");
    }
}

#[test]
fn start_command_runs_serve_of_the_built_binary() {
    // The binary the build produces.
    let built = PathBuf::from(env!("CARGO_BIN_EXE_scorewatch"));
    for name in BLUEPRINTS {
        let service = Blueprint::load(name).service();
        let words: Vec<&str> = service["startCommand"].split_whitespace().collect();
        let binary = Path::new(words[0]);
        assert_eq!(binary, Path::new("./target/release/scorewatch"), "{name}");
        assert_eq!(built.file_name(), binary.file_name(), "{name}");
        let cli = Cli::try_parse_from(&words).expect("startCommand parses");
        assert!(
            matches!(cli.command, Command::Serve(_)),
            "{name}: {words:?}"
        );
    }
}

#[test]
fn env_var_names_are_read_by_the_binary() {
    let known = known_env_vars();
    // Render sets PORT; serve must listen on it.
    assert!(known.contains("PORT"));
    for name in BLUEPRINTS {
        let vars = env_vars(&Blueprint::load(name).service());
        assert!(!vars.is_empty(), "{name}");
        for var in vars.keys() {
            assert!(
                known.contains(var),
                "{name}: {var} is not read by scorewatch ({known:?})"
            );
        }
        // Every instance accepts the same generated key.
        let keys = vars
            .get(API_KEYS_ENV)
            .unwrap_or_else(|| panic!("{name}: no {API_KEYS_ENV}"));
        assert_eq!(
            keys.get("generateValue").map(String::as_str),
            Some("true"),
            "{name}"
        );
    }
}
