//! [`OneOffTask`]: a service's image with another command, run once on demand.

use stackforge::cfn::ecs;
use stackforge::value::SubPart;
use stackforge::{pseudo, Handle, Output, Scope, Val};

use super::load_balanced::LoadBalancedFargateService;
use crate::codes;
use crate::connections::Connectable;

/// A separate task definition that runs a service's image with its own command, once, on
/// demand (`aws ecs run-task`): database migrations and seeding, never a sidecar in every task.
/// It shares the service's image, environment, secrets, roles, log group, subnets and
/// security group (so every `allow_from` of the service covers it).
///
/// Logical IDs (pattern id `UpdateDb`): `UpdateDbTaskDefinition`, and the output
/// `UpdateDbRunTaskCommand`.
#[derive(Clone, Debug)]
pub struct OneOffTask {
    /// The task definition (`<id>TaskDefinition`).
    pub task_definition: Handle<ecs::TaskDefinition>,
    /// The exact `aws ecs run-task` command line.
    pub run_task_command: Val<String>,
}

impl OneOffTask {
    /// Creates the task definition and an output `<id>RunTaskCommand` with the command line
    /// that runs it once.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        service: &LoadBalancedFargateService,
        command: Vec<String>,
    ) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        if command.is_empty() || command.iter().any(String::is_empty) {
            s.error(
                codes::INVALID_CONTAINER,
                "TaskDefinition",
                Some("Properties.ContainerDefinitions[0].Command"),
                "a one-off task needs a command (its whole point is to run something else)",
                "give the command, e.g. [\"updatedb\", \"-s\"]",
            );
        }
        let label = command.join(" ");
        let task_definition = service.task.one_off(&mut s, command);
        let mut parts: Vec<SubPart> = vec![
            "aws ecs run-task --region ".into(),
            pseudo::region().into(),
            " --cluster ".into(),
            service.cluster_name.clone().into(),
            " --task-definition ".into(),
            task_definition.reference().into(),
            " --launch-type FARGATE --count 1 --network-configuration \"awsvpcConfiguration={subnets=[".into(),
        ];
        for (i, subnet) in service.subnet_ids.iter().enumerate() {
            if i > 0 {
                parts.push(",".into());
            }
            parts.push(subnet.clone().into());
        }
        parts.push("],securityGroups=[".into());
        parts.push(service.security_group_id().into());
        parts.push("],assignPublicIp=DISABLED}\"".into());
        let run_task_command = stackforge::fns::sub(parts);
        s.output(
            "RunTaskCommand",
            Output::new(run_task_command.clone())
                .description(format!("Runs {name} ({label}) once")),
        );
        OneOffTask {
            task_definition,
            run_task_command,
        }
    }
}
