# Site parameters: the policy set's defaults (data/params.json, each stated
# once) with the site's file merged over them. The engine validates both
# against schema/site-params.schema.json at load, so every parameter the
# schema names is present here and of its type.
package labelguard.lib

site_params := data.labelguard.params

# param returns the value of a site parameter.
param(name) := site_params[name]

jurisdiction := upper(param("jurisdiction"))
