//! File assets in the assembly (issue 11): content-addressed, listed in the manifest with the
//! stacks that use them, written once, referenced from the staging bucket.

use serde_json::json;
use stackforge::{App, Raw};

#[test]
fn an_asset_is_written_once_listed_in_the_manifest_and_referenced_by_hash() {
    let app = App::new();
    let mut a = app.stack("a");
    let mut b = app.stack("b");
    let code = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec(); // an empty zip
    let loc = a.add_asset(code.clone());
    let again = b.add_asset(code);
    assert_eq!(loc, again);
    a.add_raw(
        "Fn",
        Raw::new("AWS::Lambda::Function").prop(
            "Code",
            stackforge::json!({"S3Bucket": loc.bucket.clone(), "S3Key": loc.key.clone()}),
        ),
    );
    b.add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    let assembly = app.synth().unwrap();
    assert_eq!(assembly.assets.len(), 1);
    let m = assembly.manifest();
    assert_eq!(m["assets"][0]["id"], loc.sha256.as_str());
    assert_eq!(m["assets"][0]["stacks"], json!(["a", "b"]));
    assert_eq!(
        assembly.stacks[0].template["Resources"]["Fn"]["Properties"]["Code"],
        json!({"S3Bucket": {"Fn::Sub": "stackforge-staging-${AWS::AccountId}-${AWS::Region}"},
               "S3Key": format!("assets/{}.zip", loc.sha256)})
    );
    let dir = std::env::temp_dir().join(format!("stackforge-assets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    assembly.write(&dir).unwrap();
    let written = std::fs::read(dir.join("assets").join(format!("{}.zip", loc.sha256))).unwrap();
    assert_eq!(stackforge::assembly::sha256_hex(&written), loc.sha256);
    // A second write keeps the file (same name, same bytes) and the manifest still lists it.
    assembly.write(&dir).unwrap();
    assert!(dir
        .join("assets")
        .join(format!("{}.zip", loc.sha256))
        .is_file());
    let _ = std::fs::remove_dir_all(&dir);
}
