//! JSON whose leaves may be references: policy documents, SQS redrive policies, Lambda
//! environments, key policies, event patterns.
//!
//! [`crate::json!`] has the syntax of `serde_json::json!`, but an interpolated value may be any
//! [`Val`] (a `Ref`, a `GetAtt`, a `Sub`, an import, a parameter) as well as a plain Rust
//! value. The result is a `Val<Json>` for any JSON-typed property. References inside it are
//! dependencies like any other: synth orders resources by them, and a handle of another stack
//! becomes an export and an `Fn::ImportValue`.
//!
//! ```
//! use stackforge::{json, App, Raw};
//!
//! let app = App::new();
//! let mut s = app.stack("demo");
//! let dlq = s.add_raw("Dlq", Raw::new("AWS::SQS::Queue"));
//! let policy = json!({ "deadLetterTargetArn": dlq.get_att::<String>("Arn"), "maxReceiveCount": 5 });
//! s.add_raw("Queue", Raw::new("AWS::SQS::Queue").prop("RedrivePolicy", policy));
//! let t = &app.synth().unwrap().stacks[0].template;
//! assert_eq!(
//!     t["Resources"]["Queue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"],
//!     serde_json::json!({"Fn::GetAtt": ["Dlq", "Arn"]})
//! );
//! ```
//!
//! Values are expressions up to the next top-level comma; wrap an expression whose generic
//! arguments contain a comma in parentheses.

use crate::resource::ToExpr;
use crate::value::{Expr, Val};

/// Converts an interpolated value of [`crate::json!`]. Not for direct use.
#[doc(hidden)]
pub fn __to_expr(v: impl ToExpr) -> Expr {
    v.to_expr()
}

impl ToExpr for &str {
    fn to_expr(self) -> Expr {
        Expr::Str(self.to_owned())
    }
}
impl ToExpr for String {
    fn to_expr(self) -> Expr {
        Expr::Str(self)
    }
}
impl ToExpr for &String {
    fn to_expr(self) -> Expr {
        Expr::Str(self.clone())
    }
}
impl ToExpr for bool {
    fn to_expr(self) -> Expr {
        Expr::Bool(self)
    }
}
macro_rules! int_expr {
    ($($t:ty),*) => {$(
        impl ToExpr for $t {
            fn to_expr(self) -> Expr { Expr::Int(i64::from(self)) }
        }
    )*};
}
int_expr!(i64, i32, u32, u16, u8);
impl ToExpr for f64 {
    fn to_expr(self) -> Expr {
        Expr::Num(self)
    }
}
impl<T> ToExpr for &Val<T> {
    fn to_expr(self) -> Expr {
        self.expr().clone()
    }
}
impl<T: ToExpr> ToExpr for Option<T> {
    /// `None` is JSON `null`.
    fn to_expr(self) -> Expr {
        self.map_or(Expr::Null, ToExpr::to_expr)
    }
}
impl<T: ToExpr, const N: usize> ToExpr for [T; N] {
    fn to_expr(self) -> Expr {
        Expr::List(self.into_iter().map(ToExpr::to_expr).collect())
    }
}

/// Builds a `Val<Json>` with the syntax of `serde_json::json!`, whose values may be
/// references ([`Val`]s) as well as plain values. See [the module docs](mod@crate::json).
#[macro_export]
macro_rules! json {
    ($($t:tt)+) => {
        $crate::Val::<$crate::Json>::from_expr($crate::__json_expr!($($t)+))
    };
}

/// The expression behind [`json!`]. Not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __json_expr {
    (null) => { $crate::Expr::Null };
    ([]) => { $crate::Expr::List(::std::vec::Vec::new()) };
    ([ $($t:tt)+ ]) => {{
        let mut v: ::std::vec::Vec<$crate::Expr> = ::std::vec::Vec::new();
        $crate::__json_expr!(@arr v $($t)+);
        $crate::Expr::List(v)
    }};
    ({}) => { $crate::Expr::Map(::std::collections::BTreeMap::new()) };
    ({ $($t:tt)+ }) => {{
        let mut m: ::std::collections::BTreeMap<::std::string::String, $crate::Expr> =
            ::std::collections::BTreeMap::new();
        $crate::__json_expr!(@obj m $($t)+);
        $crate::Expr::Map(m)
    }};
    // Arrays: nested groups and null first, then any expression up to a comma.
    (@arr $v:ident) => {};
    (@arr $v:ident null $(, $($rest:tt)*)?) => {
        $v.push($crate::Expr::Null);
        $crate::__json_expr!(@arr $v $($($rest)*)?);
    };
    (@arr $v:ident { $($inner:tt)* } $(, $($rest:tt)*)?) => {
        $v.push($crate::__json_expr!({ $($inner)* }));
        $crate::__json_expr!(@arr $v $($($rest)*)?);
    };
    (@arr $v:ident [ $($inner:tt)* ] $(, $($rest:tt)*)?) => {
        $v.push($crate::__json_expr!([ $($inner)* ]));
        $crate::__json_expr!(@arr $v $($($rest)*)?);
    };
    (@arr $v:ident $($rest:tt)+) => {
        $crate::__json_expr!(@arrval $v () $($rest)+);
    };
    (@arrval $v:ident ($($acc:tt)+) , $($rest:tt)*) => {
        $v.push($crate::json::__to_expr($($acc)+));
        $crate::__json_expr!(@arr $v $($rest)*);
    };
    (@arrval $v:ident ($($acc:tt)+)) => {
        $v.push($crate::json::__to_expr($($acc)+));
    };
    (@arrval $v:ident ($($acc:tt)*) $next:tt $($rest:tt)*) => {
        $crate::__json_expr!(@arrval $v ($($acc)* $next) $($rest)*);
    };
    // Objects: a literal key or a parenthesised expression, a colon, a value.
    (@obj $m:ident) => {};
    (@obj $m:ident $key:literal : $($rest:tt)+) => {
        $crate::__json_expr!(@val $m [$key] () $($rest)+);
    };
    (@obj $m:ident ($key:expr) : $($rest:tt)+) => {
        $crate::__json_expr!(@val $m [$key] () $($rest)+);
    };
    (@val $m:ident [$key:expr] () null $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::ToString::to_string(&$key), $crate::Expr::Null);
        $crate::__json_expr!(@obj $m $($($rest)*)?);
    };
    (@val $m:ident [$key:expr] () { $($inner:tt)* } $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::ToString::to_string(&$key), $crate::__json_expr!({ $($inner)* }));
        $crate::__json_expr!(@obj $m $($($rest)*)?);
    };
    (@val $m:ident [$key:expr] () [ $($inner:tt)* ] $(, $($rest:tt)*)?) => {
        $m.insert(::std::string::ToString::to_string(&$key), $crate::__json_expr!([ $($inner)* ]));
        $crate::__json_expr!(@obj $m $($($rest)*)?);
    };
    (@val $m:ident [$key:expr] ($($acc:tt)+) , $($rest:tt)*) => {
        $m.insert(::std::string::ToString::to_string(&$key), $crate::json::__to_expr($($acc)+));
        $crate::__json_expr!(@obj $m $($rest)*);
    };
    (@val $m:ident [$key:expr] ($($acc:tt)+)) => {
        $m.insert(::std::string::ToString::to_string(&$key), $crate::json::__to_expr($($acc)+));
    };
    (@val $m:ident [$key:expr] ($($acc:tt)*) $next:tt $($rest:tt)*) => {
        $crate::__json_expr!(@val $m [$key] ($($acc)* $next) $($rest)*);
    };
    // A single value.
    ($other:expr) => { $crate::json::__to_expr($other) };
}

#[cfg(test)]
mod tests {
    use crate::value::{pseudo, Expr};

    #[test]
    fn nested_values_and_references() {
        let region = pseudo::region();
        let v = crate::json!({
            "a": [1, "two", null, {"b": true}],
            "r": region,
            "n": 2.5,
            ("k".to_owned() + "ey"): "v",
            "empty": {},
            "list": [],
        });
        let Expr::Map(m) = v.expr() else {
            panic!("not a map: {v:?}")
        };
        assert_eq!(m.len(), 6);
        assert!(matches!(&m["r"], Expr::Ref(_)));
        assert_eq!(m["key"], Expr::Str("v".into()));
        let Expr::List(a) = &m["a"] else {
            panic!("a is not a list")
        };
        assert_eq!(a.len(), 4);
        assert_eq!(a[2], Expr::Null);
    }
}
