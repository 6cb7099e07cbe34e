//! `orders-api` (examples/orders-api) on a local moto server through the CLI code path:
//! `bootstrap` (the staging bucket), then `deploy`, which uploads the two code assets before
//! the stacks that use them.

use serde_json::json;
use stackforge::cli::exit;
use stackforge_deploy_tests::{tempdir, Moto};

use crate::examples::push_image;
use crate::moto::{cli, json_api, stack_status};

const DEPLOY: &[&str] = &["deploy", "--yes", "--method", "direct", "--poll-interval", "0.2"];

#[test]
fn orders_api_bootstraps_uploads_its_code_assets_and_deploys() {
    let moto = Moto::start();
    let dir = tempdir("orders-api");
    let build = || orders_api::build(&orders_api::Options::default());

    let (code, out, err) = cli(build, &moto, &dir, &["bootstrap", "--yes", "--poll-interval", "0.2"]);
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");

    // The registry first (it exports the repository), then the image, then everything.
    let mut registry_only = DEPLOY.to_vec();
    registry_only.extend(["--stack", "registry"]);
    let (code, out, err) = cli(build, &moto, &dir, &registry_only);
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    push_image(&moto, orders_api::REPOSITORY_NAME, "v1");

    let (code, out, err) = cli(build, &moto, &dir, DEPLOY);
    println!("stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    let bucket = "stackforge-staging-123456789012-us-east-1";
    let uploads = out.matches("uploaded to s3://").count();
    assert_eq!(uploads, 2, "each asset uploaded once:\n{out}");
    for stack in ["dev-orders", "prod-orders"] {
        assert_eq!(stack_status(&moto, stack), "CREATE_COMPLETE", "{stack}:\n{out}");
    }
    let listing = moto.request("GET", &format!("/{bucket}?list-type=2&prefix=assets/"), "s3", "");
    assert_eq!(listing.matches("<Key>assets/").count(), 2, "{listing}");
    let _ = json_api;
    let _ = json!({});
}
