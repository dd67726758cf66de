// Package auth authenticates CDS Clients as CDS Hooks 2.0 requires
// ("Trusting CDS Clients") and guards the service's outbound FHIR requests.
//
// A CDS Client (an EHR, the CDS Hooks Sandbox) sends every request with
// "Authorization: Bearer <JWT>", a JWS signed with its private key. A
// Verifier accepts the request only when all of these hold:
//
//   - alg is asymmetric (ES256/384/512, RS256/384/512, PS256/384/512);
//     none and HMAC are refused before any key is looked up, and the key
//     found must fit alg (type, curve, and the JWK's own alg if it has one);
//   - iss is a configured trusted issuer (exact string match) and, when the
//     issuer entry names a tenant, the tenant claim equals it;
//   - the key is the issuer's kid from its out-of-band key set (jwksFile or
//     inline jwks) or its jwksUrl, or from the URL in the jku header only
//     when that exact URL is on the issuer's jkuAllow list; a jku not on
//     the list is never fetched, and the token is then verified with the
//     key of its kid among the issuer's configured keys (Epic sends a jku
//     with every token), or refused when they have none;
//   - the signature verifies;
//   - aud (a string or an array) contains BaseURL + the endpoint path;
//   - exp and iat are present, exp has not passed, iat and nbf (when
//     present) are not in the future, each with ClockSkew; exp is at most
//     MaxTokenLifetime ahead;
//   - jti is present and was never seen before (ReplayCache).
//
// Other claims (sub, ...) are accepted and ignored; typ, when present, must
// be JWT, and a crit header is refused.
//
// Failures return an *Error whose Kind is one of the Err sentinels. Its
// text (and LogAttrs) is for the log: the check that failed, iss and kid,
// and what the check expected and got (aud, tenant, jku, alg, the time
// claims); never the token, its signature, sub or jti. The client gets 401
// with the WWW-Authenticate value of Challenge and no detail.
//
// Remote key sets are fetched on first use, kept for KeyCacheTTL, and
// refetched when a token names an unknown kid, but never more often than
// once per KeyRefreshInterval per URL; fetches have a timeout, a size
// limit and do not follow redirects. A set that cannot be refreshed stays
// in use.
//
// # Trusted-issuers file
//
// LoadIssuers reads a JSON file of this form (unknown fields are errors):
//
//	{
//	  "issuers": [
//	    {
//	      "iss": "https://ehr.hospital.org/",
//	      "jwksUrl": "https://ehr.hospital.org/.well-known/jwks.json",
//	      "jkuAllow": ["https://ehr.hospital.org/.well-known/jwks.json"],
//	      "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2",
//	      "fhirServers": ["https://ehr.hospital.org/fhir/r4"]
//	    },
//	    {
//	      "iss": "https://sandbox.cds-hooks.org",
//	      "jwksFile": "sandbox-jwks-public.json",
//	      "jkuAllow": ["https://sandbox.cds-hooks.org/.well-known/jwks.json"],
//	      "fhirServers": ["https://launch.smarthealthit.org/v/r4/fhir"]
//	    }
//	  ]
//	}
//
// Per issuer entry:
//
//   - iss (required): the exact iss claim.
//   - jwksUrl: the issuer's JWK Set URL (https; http only on a loopback
//     host).
//   - jwksFile: a JWK Set file shared out of band, relative to the
//     trusted-issuers file; or jwks: the JWK Set inline. Public EC (P-256,
//     P-384, P-521) and RSA (2048 bits or more) keys with a kid.
//   - jkuAllow: the exact URLs a token's jku header may name.
//   - At least one of jwksUrl, jwksFile, jwks, jkuAllow is required. Keys
//     from jwksFile/jwks are tried first, then the jku set (if the token
//     has an allow-listed jku) or else the jwksUrl set.
//   - tenant: when set, the token's tenant claim must equal it. One iss may
//     appear in several entries when each has a distinct tenant (each with
//     its own keys and fhirServers).
//   - fhirServers: the FHIR base URLs this issuer's (tenant's) requests may
//     name as fhirServer. Empty means the service fetches nothing for it.
//   - conformance: true marks a client that only tests the service (the
//     "labelguard conformance" runner): its calls are answered as usual
//     and kept out of the decision audit (Principal.Conformance).
//
// # Outbound requests
//
// The service fetches missing prefetch data from the fhirServer a request
// names. Principal.AllowsFHIRServer (and FHIRServerAllowed, for a global
// allow-list when authentication is disabled) permit only URLs under an
// allow-listed base URL, so a caller cannot make the service reach other
// hosts (server-side request forgery).
package auth
