// SQLAlchemy-style models for the compute service's database.
//
// Columns are static class members (`models.Service.host.eq(x)` builds an expression); a row
// loaded from the database is an instance and reads its columns as plain fields
// (`service_ref.host`). Every model carries id, created_at, updated_at, deleted_at and
// deleted; `deleted` is 0 for a live row and the row's id once it is soft-deleted, which is why
// it takes part in every unique key below.

import {
  Boolean,
  Column,
  DateTime,
  Float,
  ForeignKey,
  Index,
  Integer,
  String,
  Text,
  UniqueConstraint,
  relationship,
} from 'sqlalchemy';
import { ModelBase, SoftDeleteMixin, TimestampMixin } from 'oslo.db/sqlalchemy/models';

/** Base class of every nova model. */
export class NovaBase extends SoftDeleteMixin(TimestampMixin(ModelBase)) {
  static __table_args__: any[] = [];

  /** The columns of the row as a plain object (what the api layer hands back to callers). */
  toDict(): Record<string, any> {
    const values: Record<string, any> = {};
    for (const key of this.keys()) {
      values[key] = this[key];
    }
    return values;
  }
}

export class Service extends NovaBase {
  static __tablename__ = 'services';
  static __table_args__ = [
    UniqueConstraint('host', 'topic', 'deleted', { name: 'uniq_services0host0topic0deleted' }),
    UniqueConstraint('host', 'binary', 'deleted', { name: 'uniq_services0host0binary0deleted' }),
  ];
  static id = Column(Integer, { primary_key: true });
  static host = Column(String(255), { nullable: true });
  static binary = Column(String(255), { nullable: true });
  static topic = Column(String(255), { nullable: true });
  static report_count = Column(Integer, { nullable: false, default: 0 });
  static disabled = Column(Boolean, { default: false });
  static disabled_reason = Column(String(255));
  static last_seen_up = Column(DateTime, { nullable: true });
  static forced_down = Column(Boolean, { default: false });
  static version = Column(Integer, { default: 0 });
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });
}

export class ComputeNode extends NovaBase {
  static __tablename__ = 'compute_nodes';
  static __table_args__ = [Index('compute_nodes_host_hypervisor_hostname_idx', 'host', 'hypervisor_hostname')];
  static id = Column(Integer, { primary_key: true });
  static service_id = Column(Integer, ForeignKey('services.id'), { nullable: true });
  static host = Column(String(255), { nullable: true });
  static vcpus = Column(Integer, { nullable: false });
  static memory_mb = Column(Integer, { nullable: false });
  static local_gb = Column(Integer, { nullable: false });
  static vcpus_used = Column(Integer, { nullable: false });
  static memory_mb_used = Column(Integer, { nullable: false });
  static local_gb_used = Column(Integer, { nullable: false });
  static hypervisor_type = Column(Text, { nullable: false });
  static hypervisor_version = Column(Integer, { nullable: false });
  static hypervisor_hostname = Column(String(255));
  static free_ram_mb = Column(Integer);
  static free_disk_gb = Column(Integer);
  static running_vms = Column(Integer);
  static cpu_info = Column(Text, { nullable: true });
  static stats = Column(Text, { default: '{}' });
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });

  static service = relationship('Service', {
    backref: 'compute_node',
    foreign_keys: 'ComputeNode.service_id',
    primaryjoin: 'and_(ComputeNode.service_id == Service.id, ComputeNode.deleted == 0)',
  });
}

export class Instance extends NovaBase {
  static __tablename__ = 'instances';
  static __table_args__ = [
    Index('uniq_instances0uuid', 'uuid', { unique: true }),
    Index('instances_host_deleted_idx', 'host', 'deleted'),
    Index('instances_project_id_deleted_idx', 'project_id', 'deleted'),
  ];
  static id = Column(Integer, { primary_key: true, autoincrement: true });
  static uuid = Column(String(36), { nullable: false });
  static user_id = Column(String(255));
  static project_id = Column(String(255));
  static image_ref = Column(String(255));
  static kernel_id = Column(String(255));
  static ramdisk_id = Column(String(255));
  static hostname = Column(String(255));
  static host = Column(String(255));
  static node = Column(String(255));
  static display_name = Column(String(255));
  static display_description = Column(String(255));
  static instance_type_id = Column(Integer);
  static memory_mb = Column(Integer);
  static vcpus = Column(Integer);
  static root_gb = Column(Integer);
  static ephemeral_gb = Column(Integer);
  static vm_state = Column(String(255));
  static task_state = Column(String(255));
  static power_state = Column(Integer);
  static key_name = Column(String(255));
  static user_data = Column(Text);
  static availability_zone = Column(String(255));
  static launched_at = Column(DateTime);
  static terminated_at = Column(DateTime);
  static locked = Column(Boolean);
  static cleaned = Column(Integer, { default: 0 });
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });

  static security_groups = relationship('SecurityGroup', {
    secondary: 'security_group_instance_association',
    primaryjoin: 'and_(Instance.uuid == SecurityGroupInstanceAssociation.instance_uuid, Instance.deleted == 0)',
    secondaryjoin:
      'and_(SecurityGroup.id == SecurityGroupInstanceAssociation.security_group_id, SecurityGroup.deleted == 0)',
    backref: 'instances',
  });
  static fixed_ips = relationship('FixedIp', {
    primaryjoin: 'and_(Instance.uuid == FixedIp.instance_uuid, FixedIp.deleted == 0)',
    foreign_keys: 'FixedIp.instance_uuid',
    viewonly: true,
  });
  static faults = relationship('InstanceFault', {
    primaryjoin: 'Instance.uuid == InstanceFault.instance_uuid',
    foreign_keys: 'InstanceFault.instance_uuid',
    order_by: 'desc(InstanceFault.created_at)',
  });
}

/** A fault an instance hit (a traceback kept for the operator); there can be many. */
export class InstanceFault extends NovaBase {
  static __tablename__ = 'instance_faults';
  static __table_args__ = [Index('instance_faults_host_idx', 'host')];
  static id = Column(Integer, { primary_key: true });
  static instance_uuid = Column(String(36), ForeignKey('instances.uuid'));
  static code = Column(Integer, { nullable: false });
  static message = Column(String(255));
  static details = Column(Text);
  static host = Column(String(255));
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });
}

/** A resize or live migration of an instance between compute hosts. */
export class Migration extends NovaBase {
  static __tablename__ = 'migrations';
  static __table_args__ = [
    // not unique: an instance may have several migrations with the same status
    Index('migrations_instance_uuid_and_status_idx', 'deleted', 'instance_uuid', 'status'),
    Index('migrations_by_host_nodes_and_status_idx', 'deleted', 'source_compute', 'dest_compute', 'status'),
  ];
  static id = Column(Integer, { primary_key: true, nullable: false });
  static source_compute = Column(String(255));
  static dest_compute = Column(String(255));
  static source_node = Column(String(255));
  static dest_node = Column(String(255));
  static dest_host = Column(String(255));
  static old_instance_type_id = Column(Integer);
  static new_instance_type_id = Column(Integer);
  static instance_uuid = Column(String(36), ForeignKey('instances.uuid'));
  static status = Column(String(255));
  static migration_type = Column(String(255), { nullable: true });
  static hidden = Column(Boolean, { default: false });
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });
}

export class Network extends NovaBase {
  static __tablename__ = 'networks';
  static __table_args__ = [
    UniqueConstraint('vlan', 'deleted', { name: 'uniq_networks0vlan0deleted' }),
    Index('networks_host_idx', 'host'),
  ];
  static id = Column(Integer, { primary_key: true, nullable: false });
  static label = Column(String(255));
  static injected = Column(Boolean, { default: false });
  static cidr = Column(String(43), { nullable: true });
  static netmask = Column(String(39));
  static bridge = Column(String(255));
  static gateway = Column(String(39));
  static multi_host = Column(Boolean, { default: false });
  static vlan = Column(Integer);
  static dhcp_start = Column(String(39));
  static project_id = Column(String(255));
  static host = Column(String(255));
  static uuid = Column(String(36));
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });
}

export class FixedIp extends NovaBase {
  static __tablename__ = 'fixed_ips';
  static __table_args__ = [
    UniqueConstraint('address', 'deleted', { name: 'uniq_fixed_ips0address0deleted' }),
    Index('fixed_ips_network_id_host_deleted_idx', 'network_id', 'host', 'deleted'),
    Index('fixed_ips_instance_uuid_fkey', 'instance_uuid'),
  ];
  static id = Column(Integer, { primary_key: true });
  static address = Column(String(39));
  static network_id = Column(Integer, ForeignKey('networks.id'));
  static virtual_interface_id = Column(Integer);
  static instance_uuid = Column(String(36), ForeignKey('instances.uuid'));
  static allocated = Column(Boolean, { default: false });
  static leased = Column(Boolean, { default: false });
  static reserved = Column(Boolean, { default: false });
  static host = Column(String(255));
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });

  static network = relationship('Network', {
    backref: 'fixed_ips',
    foreign_keys: 'FixedIp.network_id',
    primaryjoin: 'and_(FixedIp.network_id == Network.id, FixedIp.deleted == 0, Network.deleted == 0)',
  });
  static instance = relationship('Instance', {
    foreign_keys: 'FixedIp.instance_uuid',
    primaryjoin: 'and_(FixedIp.instance_uuid == Instance.uuid, FixedIp.deleted == 0, Instance.deleted == 0)',
  });
}

export class FloatingIp extends NovaBase {
  static __tablename__ = 'floating_ips';
  static __table_args__ = [
    UniqueConstraint('address', 'deleted', { name: 'uniq_floating_ips0address0deleted' }),
    Index('floating_ips_host_idx', 'host'),
    Index('floating_ips_project_id_idx', 'project_id'),
  ];
  static id = Column(Integer, { primary_key: true });
  static address = Column(String(39));
  static fixed_ip_id = Column(Integer);
  static project_id = Column(String(255));
  static host = Column(String(255));
  static auto_assigned = Column(Boolean, { default: false });
  static pool = Column(String(255));
  static interface = Column(String(255));
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });

  static fixed_ip = relationship('FixedIp', {
    backref: 'floating_ips',
    foreign_keys: 'FloatingIp.fixed_ip_id',
    primaryjoin: 'and_(FloatingIp.fixed_ip_id == FixedIp.id, FloatingIp.deleted == 0, FixedIp.deleted == 0)',
  });
}

export class SecurityGroup extends NovaBase {
  static __tablename__ = 'security_groups';
  static __table_args__ = [
    UniqueConstraint('project_id', 'name', 'deleted', {
      name: 'uniq_security_groups0project_id0name0deleted',
    }),
  ];
  static id = Column(Integer, { primary_key: true });
  static name = Column(String(255));
  static description = Column(String(255));
  static user_id = Column(String(255));
  static project_id = Column(String(255));
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });

  static rules = relationship('SecurityGroupRule', {
    primaryjoin: 'and_(SecurityGroup.id == SecurityGroupRule.parent_group_id, SecurityGroupRule.deleted == 0)',
    foreign_keys: 'SecurityGroupRule.parent_group_id',
  });
}

export class SecurityGroupRule extends NovaBase {
  static __tablename__ = 'security_group_rules';
  static __table_args__: any[] = [];
  static id = Column(Integer, { primary_key: true });
  static parent_group_id = Column(Integer, ForeignKey('security_groups.id'));
  static protocol = Column(String(255));
  static from_port = Column(Integer);
  static to_port = Column(Integer);
  static cidr = Column(String(43));
  /** the group whose members this rule grants access to */
  static group_id = Column(Integer, ForeignKey('security_groups.id'));
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });

  static parent_group = relationship('SecurityGroup', {
    backref: 'parent_rules',
    foreign_keys: 'SecurityGroupRule.parent_group_id',
  });
  static grantee_group = relationship('SecurityGroup', {
    foreign_keys: 'SecurityGroupRule.group_id',
  });
}

export class KeyPair extends NovaBase {
  static __tablename__ = 'key_pairs';
  static __table_args__ = [
    // created unique by the migrations; the model only names it (uniq_ prefix)
    Index('uniq_key_pairs0user_id0name0deleted', 'user_id', 'name', 'deleted'),
  ];
  static id = Column(Integer, { primary_key: true, nullable: false });
  static name = Column(String(255), { nullable: false });
  static user_id = Column(String(255));
  static fingerprint = Column(String(255));
  static public_key = Column(Text);
  static type = Column(String(255), { nullable: false, default: 'ssh' });
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });
}

/** Flavors are still stored in the historical `instance_types` table. */
export class Flavor extends NovaBase {
  static __tablename__ = 'instance_types';
  static __table_args__ = [
    UniqueConstraint('flavorid', 'deleted', { name: 'uniq_instance_types0flavorid0deleted' }),
    UniqueConstraint('name', 'deleted', { name: 'uniq_instance_types0name0deleted' }),
  ];
  static id = Column(Integer, { primary_key: true });
  static name = Column(String(255));
  static memory_mb = Column(Integer, { nullable: false });
  static vcpus = Column(Integer, { nullable: false });
  static root_gb = Column(Integer);
  static ephemeral_gb = Column(Integer);
  static flavorid = Column(String(255));
  static swap = Column(Integer, { nullable: false, default: 0 });
  static rxtx_factor = Column(Float, { default: 1 });
  static vcpu_weight = Column(Integer);
  static disabled = Column(Boolean, { default: false });
  static is_public = Column(Boolean, { default: true });
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });

  static projects = relationship('FlavorProjects', {
    primaryjoin: 'and_(Flavor.id == FlavorProjects.instance_type_id, FlavorProjects.deleted == 0)',
    foreign_keys: 'FlavorProjects.instance_type_id',
  });
}

/** Which projects may use a private flavor. */
export class FlavorProjects extends NovaBase {
  static __tablename__ = 'instance_type_projects';
  static __table_args__ = [
    UniqueConstraint('instance_type_id', 'project_id', 'deleted', {
      name: 'uniq_instance_type_projects0instance_type_id0project_id0deleted',
    }),
  ];
  static id = Column(Integer, { primary_key: true });
  static instance_type_id = Column(Integer, ForeignKey('instance_types.id'), { nullable: false });
  static project_id = Column(String(255));
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });
}

export class Quota extends NovaBase {
  static __tablename__ = 'quotas';
  static __table_args__ = [
    UniqueConstraint('project_id', 'resource', 'deleted', {
      name: 'uniq_quotas0project_id0resource0deleted',
    }),
  ];
  static id = Column(Integer, { primary_key: true });
  static project_id = Column(String(255));
  static resource = Column(String(255), { nullable: false });
  static hard_limit = Column(Integer);
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });
}

/** What a project uses of each resource, and what in-flight requests have reserved. */
export class QuotaUsage extends NovaBase {
  static __tablename__ = 'quota_usages';
  static __table_args__ = [Index('ix_quota_usages_project_id', 'project_id')];
  static id = Column(Integer, { primary_key: true });
  static project_id = Column(String(255));
  static user_id = Column(String(255));
  static resource = Column(String(255), { nullable: false });
  static in_use = Column(Integer, { nullable: false });
  static reserved = Column(Integer, { nullable: false });
  static until_refresh = Column(Integer);
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });
}

export class AggregateHost extends NovaBase {
  static __tablename__ = 'aggregate_hosts';
  static __table_args__ = [
    UniqueConstraint('host', 'aggregate_id', 'deleted', {
      name: 'uniq_aggregate_hosts0host0aggregate_id0deleted',
    }),
  ];
  static id = Column(Integer, { primary_key: true, autoincrement: true });
  static host = Column(String(255));
  static aggregate_id = Column(Integer, ForeignKey('aggregates.id'), { nullable: false });
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });
}

export class Aggregate extends NovaBase {
  static __tablename__ = 'aggregates';
  static __table_args__ = [Index('aggregate_uuid_idx', 'uuid')];
  static id = Column(Integer, { primary_key: true, autoincrement: true });
  static uuid = Column(String(36));
  static name = Column(String(255));
  static created_at = Column(DateTime);
  static updated_at = Column(DateTime);
  static deleted_at = Column(DateTime);
  static deleted = Column(Integer, { default: 0 });

  static _hosts = relationship('AggregateHost', {
    primaryjoin: 'and_(Aggregate.id == AggregateHost.aggregate_id, AggregateHost.deleted == 0, Aggregate.deleted == 0)',
  });
}
