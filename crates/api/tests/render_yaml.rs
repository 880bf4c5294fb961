//! `render.yaml` checked against the code: a Blueprint that disagrees with the server
//! deploys fine and then fails its health check, loses data or is killed mid-request.
//!
//! The file is read with a small parser for the YAML subset a Blueprint uses (block
//! mappings, block sequences of mappings, plain or quoted scalars, comments), which
//! flattens it to `services[0].disk.mountPath`-style paths; anything outside that subset
//! fails the test with the line number rather than being misread.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};
use scorewatch_api::cli::{Cli, Command};
use scorewatch_api::config::{API_KEYS_ENV, DEFAULT_SHUTDOWN_TIMEOUT_SECS};

fn render_yaml() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../render.yaml");
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
                "render.yaml line {line_no}: empty value for {prefix}"
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
                .unwrap_or_else(|| panic!("render.yaml line {line_no}: list item in a mapping"));
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
            .unwrap_or_else(|| panic!("render.yaml line {line_no}: expected `key: value`"));
        let path = if prefix.is_empty() {
            key.trim().to_owned()
        } else {
            format!("{prefix}.{}", key.trim())
        };
        let value = unquote(value);
        if value.is_empty() {
            pending = Some((indent, path));
        } else {
            assert!(
                !value.starts_with(['{', '[', '|', '>', '&', '*']),
                "render.yaml line {line_no}: flow or block scalar not supported: {value}"
            );
            out.insert(path, value);
        }
    }
    out
}

fn service() -> BTreeMap<String, String> {
    let all = flatten(&render_yaml());
    let web: Vec<String> = all
        .iter()
        .filter(|(k, v)| k.starts_with("services[") && k.ends_with("].type") && *v == "web")
        .map(|(k, _)| k.trim_end_matches(".type").to_owned())
        .collect();
    assert_eq!(web.len(), 1, "one web service expected: {all:?}");
    let prefix = format!("{}.", web[0]);
    all.iter()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_owned(), v.clone())))
        .collect()
}

fn env_vars(service: &BTreeMap<String, String>) -> BTreeMap<String, Option<String>> {
    (0..)
        .map_while(|i| {
            let key = service.get(&format!("envVars[{i}].key"))?;
            Some((
                key.clone(),
                service.get(&format!("envVars[{i}].value")).cloned(),
            ))
        })
        .collect()
}

/// Every environment variable the binary reads: the clap `env` of each flag, the API
/// keys and `RUST_LOG` (the tracing filter).
fn known_env_vars() -> BTreeSet<String> {
    let mut names: BTreeSet<String> = [API_KEYS_ENV.to_owned(), "RUST_LOG".to_owned()].into();
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
    let flat = flatten("a:\n  - k: 1\n    v: 'x # y'\n  - k: 2 # note\nb:\n  c: d\n");
    assert_eq!(flat["a[0].k"], "1");
    assert_eq!(flat["a[0].v"], "x # y");
    assert_eq!(flat["a[1].k"], "2");
    assert_eq!(flat["b.c"], "d");
}

#[test]
fn web_service_is_a_rust_service_with_a_disk() {
    let service = service();
    assert_eq!(service["runtime"], "rust");
    assert_ne!(
        service.get("plan").map(String::as_str),
        Some("free"),
        "free has no disk"
    );
    assert!(service.contains_key("disk.mountPath"), "{service:?}");
    assert!(
        service["buildCommand"].contains("-p scorewatch-api"),
        "{}",
        service["buildCommand"]
    );
}

#[test]
fn health_check_path_is_routed_by_the_app() {
    let service = service();
    let path = &service["healthCheckPath"];
    let api = scorewatch_api::startup::openapi();
    let item = api
        .paths
        .paths
        .get(path)
        .unwrap_or_else(|| panic!("{path} is not a route of the app"));
    assert!(item.get.is_some(), "{path} has no GET");
}

#[test]
fn data_dir_lies_on_the_persistent_disk() {
    let service = service();
    let mount = PathBuf::from(&service["disk.mountPath"]);
    let data_dir = env_vars(&service)
        .remove("SCOREWATCH_DATA_DIR")
        .flatten()
        .expect("SCOREWATCH_DATA_DIR has a value");
    let data_dir = PathBuf::from(data_dir);
    assert!(
        data_dir.is_absolute() && data_dir.starts_with(&mount),
        "data dir {} is not on the disk mounted at {}",
        data_dir.display(),
        mount.display()
    );
}

#[test]
fn shutdown_delay_covers_the_servers_grace_period() {
    let service = service();
    let delay: u64 = service["maxShutdownDelaySeconds"]
        .parse()
        .expect("maxShutdownDelaySeconds is a number");
    let grace = env_vars(&service)
        .remove("SCOREWATCH_SHUTDOWN_TIMEOUT")
        .flatten()
        .map_or(DEFAULT_SHUTDOWN_TIMEOUT_SECS, |v| {
            v.parse().expect("SCOREWATCH_SHUTDOWN_TIMEOUT is a number")
        });
    assert!(
        delay >= grace,
        "Render waits {delay} s, the server {grace} s"
    );
    // Render's own ceiling (https://render.com/docs/blueprint-spec).
    assert!(delay <= 300, "{delay}");
}

#[test]
fn start_command_runs_serve_of_the_built_binary() {
    let service = service();
    let words: Vec<&str> = service["startCommand"].split_whitespace().collect();
    let binary = Path::new(words[0]);
    assert_eq!(binary, Path::new("./target/release/scorewatch"));
    // The binary the build produces is named like that.
    let built = PathBuf::from(env!("CARGO_BIN_EXE_scorewatch"));
    assert_eq!(built.file_name(), binary.file_name());
    let cli = Cli::try_parse_from(&words).expect("startCommand parses");
    assert!(matches!(cli.command, Command::Serve(_)), "{words:?}");
}

#[test]
fn env_var_names_are_read_by_the_binary() {
    let service = service();
    let known = known_env_vars();
    let vars = env_vars(&service);
    assert!(!vars.is_empty());
    for name in vars.keys() {
        assert!(
            known.contains(name),
            "{name} is not read by scorewatch ({known:?})"
        );
    }
    assert!(vars.contains_key(API_KEYS_ENV));
    let generated = (0..)
        .map_while(|i| service.get(&format!("envVars[{i}].key")).map(|k| (i, k)))
        .find(|(_, k)| *k == API_KEYS_ENV)
        .and_then(|(i, _)| service.get(&format!("envVars[{i}].generateValue")));
    assert_eq!(generated.map(String::as_str), Some("true"));
    // Render sets PORT; serve must listen on it.
    assert!(known.contains("PORT"));
}
