//! `chatbot` (seed 000): a Flask + HTMX chatbot that calls the OpenAI API.
//!
//! An ALB in public subnets, a Fargate service with two tasks in private subnets (NAT for the
//! outbound API calls), CloudWatch logs, autoscaling on CPU and memory, the image from a
//! ContainerRepository, and the OpenAI key imported from Secrets Manager by name or ARN: it
//! reaches the container as an ECS secret and never appears in the template.

use stackforge::{App, Output};
use stackforge_modules::existing::SecretRef;
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};

/// The port Flask listens on in the container.
pub const PORT: u16 = 5000;

/// Command-line options of `chatbot`.
#[derive(clap::Args, Debug, Clone)]
pub struct Options {
    /// The image tag to run: a version or the commit (tags are immutable).
    #[arg(
        long,
        env = "CHATBOT_IMAGE_TAG",
        default_value = "v1",
        value_name = "TAG",
        global = true
    )]
    pub image_tag: String,
    /// The OpenAI API key's secret in Secrets Manager: a name or a full ARN.
    #[arg(
        long,
        default_value = "chatbot/openai-api-key",
        value_name = "NAME_OR_ARN",
        global = true
    )]
    pub openai_secret: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            image_tag: "v1".into(),
            openai_secret: "chatbot/openai-api-key".into(),
        }
    }
}

/// The app: `chatbot-registry` (the ECR repository), then `chatbot`.
pub fn build(opts: &Options) -> App {
    let mut app = App::new();
    // The repository has its own stack, so the image can be pushed before anything runs it.
    let repo = crate::registry_stack(
        &mut app,
        "chatbot-registry",
        "chatbot registry: the ECR repository (seed 000)",
        "Images",
        "chatbot",
    );
    let mut s = app.stack("chatbot");
    s.set_description(
        "chatbot: Flask + HTMX chatbot calling the OpenAI API, on Fargate behind an ALB (seed 000)",
    );
    let net = Network::new(
        &mut s,
        "Net",
        NetworkProps {
            single_nat: true,
            ..Default::default()
        },
    );
    let openai = if opts.openai_secret.starts_with("arn:") {
        SecretRef::from_arn(opts.openai_secret.as_str())
    } else {
        SecretRef::from_name(&mut s, &opts.openai_secret)
    };
    let cluster = Cluster::new(&mut s, "Cluster");
    let web = LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            image: repo.image(&opts.image_tag),
            ecr_repository_arn: Some(repo.arn()),
            container_port: PORT,
            health_check_path: "/".into(),
            secrets: vec![("OPENAI_API_KEY".into(), openai.whole())],
            desired_count: 2.into(),
            min_capacity: 2.into(),
            max_capacity: 6.into(),
            cpu_target_percent: 70.into(),
            memory_target_percent: 80.into(),
            ..Default::default()
        },
    );
    repo.require_image(&mut s, &opts.image_tag);
    s.output(
        "ServiceUrl",
        Output::new(web.url()).description("The chatbot"),
    );
    app
}
