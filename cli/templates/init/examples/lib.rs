//! The example systems, as library functions that the example binaries, tests and benches share.
pub mod chatbot;
pub mod ec2_fleet;
pub mod falafel_api;
pub mod fargate_app;
pub mod hello_redis;

use stackforge::{App, Output};
use stackforge_modules::container_repository::{ContainerRepository, ContainerRepositoryProps};

/// A stack that holds only an ECR repository (`empty_on_delete`, so destroy can remove it)
/// and outputs its URI. Examples that run their own image deploy it first, so the image can
/// be pushed before any service pulls it.
pub fn registry_stack(
    app: &mut App,
    stack: &str,
    description: &str,
    id: &str,
    repository_name: &str,
) -> ContainerRepository {
    let mut r = app.stack(stack);
    r.set_description(description);
    let repo = ContainerRepository::new(
        &mut r,
        id,
        ContainerRepositoryProps {
            repository_name: Some(repository_name.into()),
            empty_on_delete: true,
            ..Default::default()
        },
    );
    r.output(
        "RepositoryUri",
        Output::new(repo.uri()).description("docker push <this>:<tag>"),
    );
    repo
}
