//! The repository is self-contained: the example config is one `config check` accepts, the
//! README's commands name files that exist, and every relative link of the manual resolves to a
//! file inside the repository.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_example_config_passes_config_check() {
    let file = root().join("examples/saas-config.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tenant-oms"))
        .args(["config", "check"])
        .arg(&file)
        .output()
        .expect("run tenant-oms config check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "config check refused the example:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.trim_end().ends_with(": OK"), "{stdout}");
}

/// `--saas-config X`, `config check X` and `config import X` in the README name real files.
#[test]
fn the_readme_commands_name_files_that_exist() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let mut named = Vec::new();
    for line in readme.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            let takes_file = pair[0] == "--saas-config" || pair[0] == "check" || pair[0] == "import";
            if takes_file && pair[1].ends_with(".json") {
                named.push(pair[1].trim_matches('`').to_owned());
            }
        }
    }
    assert!(named.iter().any(|f| f.contains("examples/")), "the README's serve command names no example: {named:?}");
    for file in &named {
        assert!(root().join(file).is_file(), "README.md names {file}, which is not in the repository");
    }
}

/// Files of the repository (not build output, not installed packages, not git's own).
fn repository_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !matches!(name.to_str(), Some("target" | ".git" | "node_modules")) {
                repository_files(&path, found);
            }
        } else {
            found.push(path);
        }
    }
}

#[test]
fn no_file_points_outside_the_repository_at_the_shared_folder() {
    // Spelt in two halves so this file does not match itself.
    let needle = format!("{}/shared", "..");
    let mut files = Vec::new();
    repository_files(&root(), &mut files);
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| std::fs::read(f).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes())))
        .map(|f| f.strip_prefix(root()).unwrap_or(f).display().to_string())
        .collect();
    assert!(offenders.is_empty(), "these files refer to {needle}, which is not part of the repository: {offenders:?}");
}

/// Every `](target)` of a markdown text, in order.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find(')') else { break };
        targets.push(rest[..end].trim().to_owned());
        rest = &rest[end..];
    }
    targets
}

#[test]
fn every_relative_link_of_the_manual_resolves_inside_the_repository() {
    let root = root().canonicalize().expect("root");
    let mut manual = vec![root.join("README.md")];
    let docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    assert!(!docs.is_empty(), "docs/ holds no manual");
    manual.extend(docs);
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &manual {
        let text = std::fs::read_to_string(file).expect("read manual");
        for target in link_targets(&text) {
            let remote = ["http://", "https://", "mailto:"].iter().any(|p| target.starts_with(p));
            if remote || target.starts_with('#') {
                continue;
            }
            checked += 1;
            let path = target.split('#').next().unwrap_or_default();
            let resolved = file.parent().expect("dir").join(path).canonicalize();
            let inside = resolved.as_ref().is_ok_and(|p| p.starts_with(&root));
            if !inside {
                broken.push(format!("{}: {target}", file.strip_prefix(&root).unwrap_or(file).display()));
            }
        }
    }
    assert!(checked > 0, "no relative link found: the checker itself is broken");
    assert!(broken.is_empty(), "links that resolve to no file of the repository: {broken:#?}");
}

#[test]
fn the_link_scanner_finds_links() {
    assert_eq!(link_targets("see [a](docs/a.md#x) and [b](https://b.example)"), ["docs/a.md#x", "https://b.example"]);
}
