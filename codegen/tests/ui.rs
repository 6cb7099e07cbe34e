//! Misuse of generated types is a compile error (trybuild), and the matching correct code
//! compiles (so the failures are for the stated reason, not a broken setup).

#[test]
fn generated_types_reject_misuse_at_compile_time() {
    let t = trybuild::TestCases::new();
    t.pass("tests/pass/*.rs");
    t.compile_fail("tests/ui/*.rs");
}
