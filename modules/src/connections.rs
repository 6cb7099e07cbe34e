//! Security-group wiring: who may talk to whom, on exactly which port.
//!
//! A pattern that owns a security group implements [`Connectable`]. A pattern that listens on
//! a port offers `allow_from(scope, &peer)`, which adds one `AWS::EC2::SecurityGroupIngress`
//! for exactly its port, from exactly the peer's security group, with a description. Nothing
//! else opens a port: the database's group has no ingress until `allow_from` is called.
//!
//! Rules are separate resources (not inline in the group), so two groups that allow each
//! other never form a reference cycle.

use stackforge::cfn::ec2;
use stackforge::{Handle, Scope, Val};

/// Anything with a security group that can be the source of a connection: a Fargate service,
/// a one-off task, an imported security group.
pub trait Connectable {
    /// The security group's ID.
    fn security_group_id(&self) -> Val<String>;
    /// A short name used in rule logical IDs and descriptions (the pattern's id, e.g. `Web`).
    fn connection_name(&self) -> &str;
    /// True if the group's outbound traffic is restricted, so every connection it opens also
    /// needs an egress rule.
    /// Default: `false` (all outbound allowed).
    fn restricts_egress(&self) -> bool {
        false
    }
}

/// Adds `<target>IngressFrom<peer>`: ingress on `port`/TCP to `target_group_id` from the
/// peer's security group, with a description naming both ends. When the peer restricts its
/// egress, also adds `<peer>EgressTo<target>` for the same port to the target's group.
pub fn allow_tcp_from(
    scope: &mut Scope<'_>,
    target_name: &str,
    target_group_id: Val<String>,
    port: u16,
    peer: &dyn Connectable,
) -> Handle<ec2::SecurityGroupIngress> {
    let mut rule = ec2::SecurityGroupIngress::new("tcp");
    rule.group_id = Some(target_group_id);
    rule.source_security_group_id = Some(peer.security_group_id());
    rule.from_port = Some(i64::from(port).into());
    rule.to_port = Some(i64::from(port).into());
    let target_label = scope.logical_id_for(target_name);
    rule.description = Some(
        format!(
            "{target_label}: TCP {port} from {} only",
            peer.connection_name()
        )
        .into(),
    );
    let id = format!("{target_name}IngressFrom{}", peer.connection_name());
    if peer.restricts_egress() {
        let mut out = ec2::SecurityGroupEgress::new(peer.security_group_id(), "tcp");
        out.destination_security_group_id = rule.group_id.clone();
        out.from_port = Some(i64::from(port).into());
        out.to_port = Some(i64::from(port).into());
        out.description = Some(
            format!(
                "{}: TCP {port} to {target_label} only",
                peer.connection_name()
            )
            .into(),
        );
        scope.add(
            &format!("{}EgressTo{target_name}", peer.connection_name()),
            out,
        );
    }
    scope.add(&id, rule)
}
