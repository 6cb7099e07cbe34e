//! The platform team's infrastructure: its own `WebService` pattern (built from library
//! patterns and generated types), two service stacks per environment over one shared network
//! stack, a cross-stack grant, a parameter that switches sizes, two environments.

pub mod web_service;

use stackforge::{App, EnvironmentProps, Output};
use stackforge_modules::fargate::Cluster;
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::topic::{Topic, TopicProps};

use web_service::{Sizes, WebService, WebServiceProps};

/// The environments: name, account, region, single NAT gateway.
pub const ENVIRONMENTS: &[(&str, &str, &str, bool)] = &[
    ("staging", "111111111111", "eu-west-1", true),
    ("prod", "222222222222", "eu-west-1", false),
];

/// The whole app: for each environment, `<env>-network` (VPC, cluster, alarm topic),
/// `<env>-orders` and `<env>-billing`. Billing reads the orders service's uploads.
pub fn app() -> App {
    let app = App::new();
    for (name, account, region, single_nat) in ENVIRONMENTS {
        let env = app.environment(
            name,
            EnvironmentProps {
                account: Some((*account).into()),
                region: Some((*region).into()),
                tags: [("environment".to_owned(), (*name).to_owned())].into(),
                ..Default::default()
            },
        );
        let mut network = env.stack("network");
        let net = Network::new(
            &mut network,
            "Net",
            NetworkProps {
                single_nat: *single_nat,
                ..Default::default()
            },
        );
        let cluster = Cluster::new(&mut network, "Cluster");
        let alarms = Topic::new(&mut network, "Alarms", TopicProps::default());

        let mut orders_stack = env.stack("orders");
        let sizes = Sizes::by_parameter(&mut orders_stack);
        let orders = WebService::new(
            &mut orders_stack,
            "Orders",
            &net,
            &cluster,
            WebServiceProps {
                image: "public.ecr.aws/platform/orders:1.4.2".into(),
                container_port: 8080,
                health_check_path: "/health".into(),
                sizes,
                alarm_topic: Some(alarms.arn()),
            },
        );
        orders_stack.output("Url", Output::new(orders.service.url()));

        let mut billing_stack = env.stack("billing");
        let sizes = Sizes::by_parameter(&mut billing_stack);
        let billing = WebService::new(
            &mut billing_stack,
            "Billing",
            &net,
            &cluster,
            WebServiceProps {
                image: "public.ecr.aws/platform/billing:2.0.0".into(),
                container_port: 8080,
                health_check_path: "/health".into(),
                sizes,
                alarm_topic: Some(alarms.arn()),
            },
        );
        // Billing reads the invoices that orders uploads: a grant across stacks, which lands
        // in billing's stack (the grantee's).
        orders
            .uploads
            .grant_read(&mut orders_stack, &billing.service);
    }
    app
}
