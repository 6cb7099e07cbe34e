//! `--stack`: the one function that turns the user's stack arguments into stacks.

use crate::diag::Code;

use super::codes;

/// A stack as selection sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackKey<'a> {
    /// The full stack name (`prod-api`).
    pub name: &'a str,
    /// Its environment (`prod`), if any.
    pub environment: Option<&'a str>,
}

impl StackKey<'_> {
    /// The name without the environment prefix (`api` for `prod-api` in `prod`).
    pub fn short_name(&self) -> &str {
        match self.environment {
            Some(env) => self
                .name
                .strip_prefix(env)
                .and_then(|rest| rest.strip_prefix(['-', '_', '.']))
                .filter(|rest| !rest.is_empty())
                .unwrap_or(self.name),
            None => self.name,
        }
    }
}

/// Why `--stack` selected nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// A name or pattern that matches no stack.
    #[error("unknown stack(s) {}; this app has: {}", quoted(unknown), available.join(", "))]
    Unknown {
        /// The arguments that matched nothing.
        unknown: Vec<String>,
        /// Every stack (`env/name` for stacks in an environment).
        available: Vec<String>,
    },
    /// A short name that several environments have.
    #[error("stack `{name}` is in several environments: {}; name one: {}", candidates.join(", "), suggestions.join(", "))]
    Ambiguous {
        /// The argument.
        name: String,
        /// The full names it matches.
        candidates: Vec<String>,
        /// Unambiguous ways to write it (`prod/api`).
        suggestions: Vec<String>,
    },
    /// A malformed glob pattern.
    #[error("`--stack {pattern}` is not a valid pattern: {message}")]
    BadPattern {
        /// The argument.
        pattern: String,
        /// What is wrong.
        message: String,
    },
}

impl SelectError {
    /// The stable code (`SFA…`).
    pub fn code(&self) -> Code {
        match self {
            SelectError::Unknown { .. } => codes::UNKNOWN_STACK,
            SelectError::Ambiguous { .. } => codes::AMBIGUOUS_STACK,
            SelectError::BadPattern { .. } => codes::BAD_PATTERN,
        }
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn display(k: &StackKey<'_>) -> String {
    match k.environment {
        Some(env) => format!("{env}/{}", k.short_name()),
        None => k.name.to_owned(),
    }
}

/// Selects stacks by the user's `--stack` arguments and returns their indices in `stacks`
/// order (the deploy order), each once. No arguments select every stack.
///
/// Each argument is one of:
/// - an exact full name: `prod-api`;
/// - a name without its environment prefix: `api`, when only one environment has it;
/// - a glob pattern (`*`, `?`, `[...]`): with a `/` it matches `<environment>/<name>`
///   (`prod/*`, `*/api`) of stacks in an environment; without one it matches the full or the
///   short name of every stack (stacks without an environment match on their name only).
///
/// All arguments are checked before anything is returned: every unknown one is reported
/// together.
pub fn select(stacks: &[StackKey<'_>], args: &[String]) -> Result<Vec<usize>, SelectError> {
    if args.is_empty() {
        return Ok((0..stacks.len()).collect());
    }
    let mut chosen = vec![false; stacks.len()];
    let mut unknown = Vec::new();
    for arg in args {
        let hits = matches(stacks, arg)?;
        if hits.is_empty() {
            unknown.push(arg.clone());
        }
        for i in hits {
            chosen[i] = true;
        }
    }
    if !unknown.is_empty() {
        return Err(SelectError::Unknown {
            unknown,
            available: stacks.iter().map(display).collect(),
        });
    }
    Ok((0..stacks.len()).filter(|i| chosen[*i]).collect())
}

fn matches(stacks: &[StackKey<'_>], arg: &str) -> Result<Vec<usize>, SelectError> {
    let is_glob = arg.contains(['*', '?', '[']);
    if !is_glob {
        if let Some(i) = stacks.iter().position(|k| k.name == arg) {
            return Ok(vec![i]);
        }
        if let Some((env, name)) = arg.split_once('/') {
            return Ok(stacks
                .iter()
                .enumerate()
                .filter(|(_, k)| k.environment == Some(env) && k.short_name() == name)
                .map(|(i, _)| i)
                .collect());
        }
        let hits: Vec<usize> = stacks
            .iter()
            .enumerate()
            .filter(|(_, k)| k.short_name() == arg)
            .map(|(i, _)| i)
            .collect();
        if hits.len() > 1 {
            return Err(SelectError::Ambiguous {
                name: arg.to_owned(),
                candidates: hits.iter().map(|i| stacks[*i].name.to_owned()).collect(),
                suggestions: hits.iter().map(|i| display(&stacks[*i])).collect(),
            });
        }
        return Ok(hits);
    }
    let pattern = glob::Pattern::new(arg).map_err(|e| SelectError::BadPattern {
        pattern: arg.to_owned(),
        message: e.msg.to_owned(),
    })?;
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    Ok(stacks
        .iter()
        .enumerate()
        .filter(|(_, k)| {
            if arg.contains('/') {
                k.environment.is_some() && pattern.matches_with(&display(k), options)
            } else {
                pattern.matches_with(k.name, options)
                    || pattern.matches_with(k.short_name(), options)
            }
        })
        .map(|(i, _)| i)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<StackKey<'static>> {
        vec![
            StackKey {
                name: "shared",
                environment: None,
            },
            StackKey {
                name: "prod-network",
                environment: Some("prod"),
            },
            StackKey {
                name: "prod-api",
                environment: Some("prod"),
            },
            StackKey {
                name: "dev-api",
                environment: Some("dev"),
            },
            StackKey {
                name: "dev-web",
                environment: Some("dev"),
            },
        ]
    }

    fn sel(args: &[&str]) -> Result<Vec<usize>, SelectError> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        select(&keys(), &args)
    }

    #[test]
    fn names_with_and_without_the_environment_prefix() {
        assert_eq!(sel(&[]).expect("all"), [0, 1, 2, 3, 4]);
        assert_eq!(sel(&["prod-api"]).expect("full"), [2]);
        assert_eq!(sel(&["web"]).expect("short"), [4]);
        assert_eq!(sel(&["prod/api"]).expect("env/name"), [2]);
        assert_eq!(sel(&["shared", "shared", "web"]).expect("dedup"), [0, 4]);
        let e = sel(&["api"]).expect_err("two environments have api");
        assert_eq!(e.code(), codes::AMBIGUOUS_STACK);
        assert!(e.to_string().contains("prod/api, dev/api"), "{e}");
    }

    #[test]
    fn globs_over_environment_and_name() {
        assert_eq!(sel(&["prod/*"]).expect("prod"), [1, 2]);
        assert_eq!(sel(&["*/api"]).expect("api everywhere"), [2, 3]);
        assert_eq!(sel(&["*"]).expect("everything"), [0, 1, 2, 3, 4]);
        assert_eq!(sel(&["sh*"]).expect("no environment: on the name"), [0]);
        assert_eq!(sel(&["dev-*"]).expect("full-name glob"), [3, 4]);
        let e = sel(&["[x"]).expect_err("bad");
        assert_eq!(e.code(), codes::BAD_PATTERN);
    }

    #[test]
    fn every_unknown_argument_is_reported_at_once() {
        let e = sel(&["nope", "api-x", "web", "qa/*"]).expect_err("unknown");
        assert_eq!(e.code(), codes::UNKNOWN_STACK);
        assert_eq!(
            e,
            SelectError::Unknown {
                unknown: vec!["nope".into(), "api-x".into(), "qa/*".into()],
                available: vec![
                    "shared".into(),
                    "prod/network".into(),
                    "prod/api".into(),
                    "dev/api".into(),
                    "dev/web".into()
                ],
            }
        );
    }
}
