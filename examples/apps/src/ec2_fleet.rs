//! `ec2-fleet` (seed 001): four instances with four different operating systems, from one
//! table, in a public subnet of a VPC with DNS hostnames, so each has a public DNS name.
//!
//! HTTP and HTTPS are open; SSH and RDP are not open to the world (the instances have SSM
//! Session Manager instead of key pairs). `--admin-cidr` opens SSH/RDP to one network; a
//! world-open CIDR is refused unless `--allow-world-admin` is given too.

use stackforge::cfn::ec2;
use stackforge::{App, Output, Scope, Tag, Val};
use stackforge_modules::ec2_instance::{Ec2Fleet, Ec2FleetProps, FleetMember};

/// The fleet: `(id, OS, instance type)`, one row per instance. Adding an OS is one line;
/// the OS names are those of `stackforge_modules::ec2_instance::OS_IMAGES`.
pub const FLEET: &[(&str, &str, &str)] = &[
    ("AmazonLinux", "amazon-linux-2023", "t3.micro"),
    ("Ubuntu", "ubuntu-24.04", "t3.micro"),
    ("Debian", "debian-12", "t3.micro"),
    ("Windows", "windows-server-2022", "t3.small"),
];

/// Command-line options of `ec2-fleet`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Options {
    /// Open SSH (Linux) and RDP (Windows) to this CIDR. Prefer SSM Session Manager.
    #[arg(long, value_name = "CIDR", global = true)]
    pub admin_cidr: Option<String>,
    /// Accept a world-open --admin-cidr (0.0.0.0/0).
    #[arg(long, global = true)]
    pub allow_world_admin: bool,
}

/// The app: one stack, `ec2-fleet`.
pub fn build(opts: &Options) -> App {
    build_fleet(FLEET, opts)
}

/// The app for any fleet table (tests use it to try an unknown OS).
pub fn build_fleet(fleet: &[(&str, &str, &str)], opts: &Options) -> App {
    let app = App::new();
    let mut s = app.stack("ec2-fleet");
    s.set_description(
        "ec2-fleet: instances of four operating systems behind one security group (seed 001)",
    );
    let (vpc, subnet) = public_network(&mut s);
    let fleet = Ec2Fleet::new(
        &mut s,
        "Fleet",
        vpc.clone(),
        subnet,
        Ec2FleetProps {
            members: fleet
                .iter()
                .map(|(id, os, ty)| FleetMember::new(id, os, ty))
                .collect(),
            admin_cidr: opts.admin_cidr.clone(),
            allow_world_admin: opts.allow_world_admin,
            ..Default::default()
        },
    );
    for (id, inst) in &fleet.instances {
        s.output(
            &format!("{id}PublicDnsName"),
            Output::new(inst.public_dns_name())
                .description(format!("{id}: {}", inst.os.map_or("?", |o| o.name))),
        );
    }
    app
}

/// A VPC with DNS hostnames (so public DNS names exist), an Internet gateway and one public
/// subnet. Returns the VPC id and the subnet id.
fn public_network(s: &mut Scope<'_>) -> (Val<String>, Val<String>) {
    let mut n = s.child("Net");
    let vpc = n.add(
        "Vpc",
        ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            enable_dns_hostnames: Some(true.into()),
            enable_dns_support: Some(true.into()),
            tags: Some(vec![Tag::new("Name", "ec2-fleet")]),
            ..Default::default()
        },
    );
    let igw = n.add("Igw", ec2::InternetGateway::default());
    let attach = n.add(
        "IgwAttachment",
        ec2::VpcGatewayAttachment {
            internet_gateway_id: Some(igw.reference()),
            ..ec2::VpcGatewayAttachment::new(vpc.reference())
        },
    );
    let subnet = n.add(
        "PublicSubnet",
        ec2::Subnet {
            cidr_block: Some("10.0.0.0/24".into()),
            availability_zone: Some(stackforge::fns::select(0, stackforge::fns::get_azs())),
            tags: Some(vec![Tag::new("Name", "ec2-fleet-public")]),
            ..ec2::Subnet::new(vpc.reference())
        },
    );
    let table = n.add("PublicRoutes", ec2::RouteTable::new(vpc.reference()));
    let route = n.add(
        "DefaultRoute",
        ec2::Route {
            destination_cidr_block: Some("0.0.0.0/0".into()),
            gateway_id: Some(igw.reference()),
            ..ec2::Route::new(table.reference())
        },
    );
    n.depends_on(route, attach);
    n.add(
        "PublicSubnetRoutes",
        ec2::SubnetRouteTableAssociation::new(table.reference(), subnet.reference()),
    );
    (vpc.reference(), subnet.reference())
}
