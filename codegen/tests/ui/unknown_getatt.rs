//! Only the attributes the schema declares exist: a VPC has no endpoint address.
use stackforge::cfn::ec2;
use stackforge::App;

fn main() {
    let mut app = App::new();
    let mut stack = app.stack("s");
    let vpc = stack.add("Vpc", ec2::Vpc::default());
    let _ = vpc.attr_endpoint_address();
}
