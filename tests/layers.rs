//! The core has one direction (issue 16). `ARCHITECTURE.md` draws the layers of `src/`; this
//! test reads that drawing, finds every `crate::…` path in the code of each module (comments,
//! doc comments and string literals are not code), and fails on an edge to a higher layer, on
//! any cycle between modules (with its path), and on a module the drawing does not place.
//!
//! A module is a file `src/x.rs`, a directory `src/x/`, or both (`src/value.rs` with
//! `src/value/depth.rs`): a module's own submodules are part of it. Paths through the crate
//! root's re-exports (`crate::Stack`, `crate::depth`) and `#[macro_export]` macros
//! (`$crate::sub!`) count as edges to the module that defines the item.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file of a module: its path (for messages) and its text.
type Source = (String, String);

/// The layers as drawn: `(layer number, modules)`, from the lines `L<n>  a b c: what lives
/// there` of the fenced block under `## Layers`.
fn drawn_layers(architecture: &str) -> Result<Vec<(u32, Vec<String>)>, String> {
    let section = architecture
        .split("\n## ")
        .find(|s| s.starts_with("Layers"))
        .ok_or("ARCHITECTURE.md has no `## Layers` section")?;
    let block = section
        .split("```")
        .nth(1)
        .ok_or("the `## Layers` section has no fenced drawing")?;
    let mut layers = Vec::new();
    for line in block.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix('L') else {
            continue;
        };
        let Some((num, rest)) = rest.split_once(char::is_whitespace) else {
            continue;
        };
        let Ok(n) = num.parse::<u32>() else { continue };
        let (names, _what) = rest
            .split_once(':')
            .ok_or_else(|| format!("layer line without `modules: description`: {line}"))?;
        let mods: Vec<String> = names
            .split([' ', ','])
            .map(|m| m.trim().trim_end_matches('/').trim_end_matches(".rs"))
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect();
        layers.push((n, mods));
    }
    if layers.is_empty() {
        return Err("the `## Layers` drawing has no `L<n>  modules: …` lines".into());
    }
    Ok(layers)
}

/// The text with comments and the contents of string and char literals blanked (newlines
/// kept, so line numbers hold).
pub(crate) fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let blank = |out: &mut Vec<u8>, s: &[u8]| {
        out.extend(s.iter().map(|&c| if c == b'\n' { b'\n' } else { b' ' }))
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let end = b[i..]
                .iter()
                .position(|&x| x == b'\n')
                .map_or(b.len(), |p| i + p);
            blank(&mut out, &b[i..end]);
            i = end;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let (mut depth, mut j) = (0usize, i);
            while j < b.len() {
                if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                    depth += 1;
                    j += 2;
                } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &b[i..j.min(b.len())]);
            i = j;
        } else if c == b'r' && !prev_ident && matches!(b.get(i + 1), Some(b'"') | Some(b'#')) {
            // A raw string r"…", r#"…"#: ends at `"` followed by as many `#`.
            let hashes = b[i + 1..].iter().take_while(|&&x| x == b'#').count();
            if b.get(i + 1 + hashes) != Some(&b'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let mut j = i + 2 + hashes;
            while j < b.len()
                && !(b[j] == b'"'
                    && b[j + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&x| x == b'#')
                        .count()
                        == hashes)
            {
                j += 1;
            }
            let end = (j + 1 + hashes).min(b.len());
            blank(&mut out, &b[i..end]);
            i = end;
        } else if c == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(b.len());
            blank(&mut out, &b[i..end]);
            i = end;
        } else if c == b'\'' && !prev_ident {
            // A char literal ('x', '\n', '"'); anything else is a lifetime or a label.
            let len = if b.get(i + 1) == Some(&b'\\') {
                b[i + 2..].iter().position(|&x| x == b'\'').map(|p| p + 3)
            } else {
                let ch = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                (b.get(i + 1 + ch) == Some(&b'\'')).then_some(ch + 2)
            };
            match len {
                Some(n) => {
                    blank(&mut out, &b[i..i + n]);
                    i += n;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn ident_at(s: &str, i: usize) -> &str {
    let end = s[i..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(s.len(), |p| i + p);
    &s[i..end]
}

fn skip_ws(s: &str, mut i: usize) -> usize {
    while s[i..].starts_with(char::is_whitespace) {
        i += s[i..].chars().next().map_or(1, char::len_utf8);
    }
    i
}

/// The first segment of every path that starts with `crate::` (or `$crate::`), with its
/// line: `use crate::{a::X, b}` gives `a` and `b`.
fn crate_paths(code: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    // Line numbers counted incrementally (the generated files are megabytes).
    let (mut line, mut counted) = (1, 0);
    while let Some(p) = code[from..].find("crate") {
        let at = from + p;
        from = at + 5;
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        if code[at + 5..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let i = skip_ws(code, at + 5);
        if !code[i..].starts_with("::") {
            continue;
        }
        let i = skip_ws(code, i + 2);
        line += code[counted..at].matches('\n').count();
        counted = at;
        if code[i..].starts_with('{') {
            // The top-level items of the use tree.
            let (mut depth, mut expect, mut j) = (0, true, i);
            while j < code.len() {
                let c = code[j..].chars().next().unwrap_or(' ');
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => expect = true,
                    c if depth == 1 && expect && (c.is_ascii_alphabetic() || c == '_') => {
                        let id = ident_at(code, j);
                        found.push((id.to_owned(), line + code[at..j].matches('\n').count()));
                        expect = false;
                        j += id.len();
                        continue;
                    }
                    _ => {}
                }
                j += c.len_utf8();
            }
        } else {
            let id = ident_at(code, i);
            if !id.is_empty() {
                found.push((id.to_owned(), line));
            }
        }
    }
    found
}

/// Problems with the module graph: upward edges, cycles, modules not drawn.
fn check(
    modules: &BTreeMap<String, Vec<Source>>,
    layers: &[(u32, Vec<String>)],
    root_items: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut layer_of = BTreeMap::new();
    for (n, mods) in layers {
        for m in mods {
            if layer_of.insert(m.clone(), *n).is_some() {
                problems.push(format!("`{m}` is drawn on two layers"));
            }
            if !modules.contains_key(m) {
                problems.push(format!(
                    "the drawing names `{m}`, which is not a module of src/"
                ));
            }
        }
    }
    for m in modules.keys() {
        if !layer_of.contains_key(m) {
            problems.push(format!(
                "module `{m}` is on no layer: add it to the drawing in ARCHITECTURE.md (`## Layers`)"
            ));
        }
    }
    // Edges, each with the first place it is used.
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    for (m, files) in modules {
        for (path, text) in files {
            for (head, line) in crate_paths(&code_only(text)) {
                let target = if modules.contains_key(&head) {
                    head.clone()
                } else if let Some(t) = root_items.get(&head) {
                    t.clone()
                } else if head == "self" || head == "super" {
                    continue;
                } else {
                    problems.push(format!(
                        "{path}:{line}: `crate::{head}` names no module and no item the crate root re-exports"
                    ));
                    continue;
                };
                if &target != m {
                    edges
                        .entry((m.clone(), target))
                        .or_insert_with(|| format!("{path}:{line}"));
                }
            }
        }
    }
    for ((from, to), at) in &edges {
        if let (Some(a), Some(b)) = (layer_of.get(from), layer_of.get(to)) {
            if b > a {
                problems.push(format!(
                    "upward edge: `{from}` (L{a}) uses `{to}` (L{b}) at {at}; move the item down or the module up"
                ));
            }
        }
    }
    // Cycles: a depth-first search that reports each back edge with the path it closes.
    let mut succ: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        succ.entry(from.as_str()).or_default().push(to.as_str());
    }
    let mut done = BTreeSet::new();
    let mut cycles = BTreeSet::new();
    for start in modules.keys() {
        if done.contains(start.as_str()) {
            continue;
        }
        // (node, next successor index)
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let succs = succ.get(node).map_or(&[][..], Vec::as_slice);
            if let Some(&to) = succs.get(*next) {
                *next += 1;
                if let Some(pos) = stack.iter().position(|(n, _)| *n == to) {
                    let mut path: Vec<&str> = stack[pos..].iter().map(|(n, _)| *n).collect();
                    // One report per cycle, whatever node it was entered at.
                    let min = path
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, n)| **n)
                        .map_or(0, |(i, _)| i);
                    path.rotate_left(min);
                    cycles.insert(path.iter().map(|s| s.to_string()).collect::<Vec<_>>());
                } else if !done.contains(to) {
                    stack.push((to, 0));
                }
            } else {
                done.insert(node);
                stack.pop();
            }
        }
    }
    for path in cycles {
        let mut text = String::from("cycle: ");
        for (i, from) in path.iter().enumerate() {
            let to = &path[(i + 1) % path.len()];
            let at = &edges[&(from.clone(), to.clone())];
            text.push_str(&format!("{from} -> {to} ({at}); "));
        }
        problems.push(text.trim_end_matches("; ").to_owned());
    }
    problems
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every module of `src/` with its files, and what the crate root re-exports (`name ->
/// module`) together with the `#[macro_export]` macros.
fn read_src(root: &Path) -> (BTreeMap<String, Vec<Source>>, BTreeMap<String, String>) {
    let src = root.join("src");
    let mut modules: BTreeMap<String, Vec<Source>> = BTreeMap::new();
    let mut entries: Vec<_> = std::fs::read_dir(&src)
        .expect("src/")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let mut files = Vec::new();
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else if p.extension().is_some_and(|e| e == "rs") && name != "lib" {
            files.push(p.clone());
        } else {
            continue;
        }
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read a source file");
            let shown = f.strip_prefix(root).unwrap_or(&f).display().to_string();
            modules.entry(name.clone()).or_default().push((shown, text));
        }
    }
    let mut root_items = BTreeMap::new();
    let lib = code_only(&std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs"));
    for stmt in lib.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        let module = module.trim();
        if !modules.contains_key(module) {
            continue; // an external crate (`pub use clap`)
        }
        for item in items.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if !item.is_empty() && item != "self" {
                root_items.insert(item.to_owned(), module.to_owned());
            }
        }
    }
    for (m, files) in &modules {
        for (_, text) in files {
            let code = code_only(text);
            let mut rest = code.as_str();
            while let Some(p) = rest.find("#[macro_export]") {
                rest = &rest[p + 15..];
                if let Some(q) = rest.find("macro_rules!") {
                    let after = skip_ws(rest, q + 12);
                    root_items.insert(ident_at(rest, after).to_owned(), m.clone());
                }
            }
        }
    }
    (modules, root_items)
}

#[test]
fn the_core_has_one_direction() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let architecture =
        std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let layers = drawn_layers(&architecture).unwrap_or_else(|e| panic!("{e}"));
    let (modules, root_items) = read_src(root);
    assert!(
        modules.contains_key("value") && modules.contains_key("synth"),
        "{:?}",
        modules.keys()
    );
    let problems = check(&modules, &layers, &root_items);
    assert!(
        problems.is_empty(),
        "the module graph of src/ breaks the layering drawn in ARCHITECTURE.md:\n  {}",
        problems.join("\n  ")
    );
}

/// The checker itself: an upward edge, a cycle (with its path, through a root re-export and
/// a macro), and an undrawn module are each reported; comments and strings are not code.
#[test]
fn the_layer_check_reports_upward_edges_cycles_and_undrawn_modules() {
    let file = |path: &str, text: &str| (path.to_owned(), text.to_owned());
    let mut modules = BTreeMap::new();
    modules.insert(
        "value".to_owned(),
        vec![file(
            "src/value.rs",
            "//! see [`crate::stack`]\nconst S: &str = \"crate::stack::X\";\nuse crate::Stack;\n",
        )],
    );
    modules.insert(
        "stack".to_owned(),
        vec![file(
            "src/stack.rs",
            "use crate::{\n    value::Val,\n    diag::Code,\n};\n",
        )],
    );
    modules.insert(
        "diag".to_owned(),
        vec![file(
            "src/diag.rs",
            "/* crate::stack */ fn f<'a>(c: char) -> bool { c == '\"' }\n",
        )],
    );
    modules.insert(
        "extra".to_owned(),
        vec![file(
            "src/extra/mod.rs",
            "fn f() { $crate::sub!(\"x\"); }\n",
        )],
    );
    let layers = vec![
        (0, vec!["diag".to_owned()]),
        (1, vec!["value".to_owned()]),
        (2, vec!["stack".to_owned()]),
    ];
    let mut root_items = BTreeMap::new();
    root_items.insert("Stack".to_owned(), "stack".to_owned());
    root_items.insert("sub".to_owned(), "value".to_owned());

    let problems = check(&modules, &layers, &root_items);
    let text = problems.join("\n");
    assert!(
        text.contains("upward edge: `value` (L1) uses `stack` (L2) at src/value.rs:3"),
        "{text}"
    );
    assert!(
        text.contains("cycle: stack -> value (src/stack.rs:2); value -> stack (src/value.rs:3)"),
        "{text}"
    );
    assert!(text.contains("module `extra` is on no layer"), "{text}");
    // The comment, the string and the char literal are not edges; `$crate::sub!` is one.
    assert!(!text.contains("`diag` (L0) uses"), "{text}");
    assert_eq!(problems.len(), 3, "{text}");

    // Fixed: no upward edge, no cycle, every module drawn.
    modules.insert(
        "value".to_owned(),
        vec![file("src/value.rs", "use crate::diag::Code;\n")],
    );
    modules.remove("extra");
    assert_eq!(check(&modules, &layers, &root_items), Vec::<String>::new());
}

#[test]
fn the_drawing_is_read_line_by_line() {
    let md = "# x\n\n## Layers\n\n```text\nL2  cli/ deploy/: the edges\n      |\nL1  value, walk.rs: values\n```\n\n## Next\n";
    let layers = drawn_layers(md).expect("layers");
    assert_eq!(
        layers,
        vec![
            (2, vec!["cli".to_owned(), "deploy".to_owned()]),
            (1, vec!["value".to_owned(), "walk".to_owned()])
        ]
    );
}
