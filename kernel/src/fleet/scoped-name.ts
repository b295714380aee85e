// The name of a stack object (service, volume, network) on a device. Names are unambiguous:
// namespaces, tenants and deployments are `[a-z0-9-]` and stack objects
// (services, volumes, networks) `[a-z0-9_-]`, none with a dot; so in
//   [namespace.][tenant_]deployment.object[.next]
// each part can be read back, and distinct (tenant, deployment, object) never share a name.
// Earlier Ferry joined the parts with '-', so tenant `acme` deployment `labs` volume `x-data`
// and tenant `acme-labs` deployment `x` volume `data` met in one volume.

/** `[tenant_]deployment.object`: a stack object's name before the engine namespace. */
export function scopedName(tenant: string | undefined, deployment: string, object: string): string {
  return `${tenant === undefined ? '' : `${tenant}_`}${deployment}.${object}`;
}
