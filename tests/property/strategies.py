"""Kubernetes-shaped objects for the property tests: valid shapes at the fields the rules and views
read, with wrongly typed values, nulls and junk mixed in at every level (`maybe`)."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from kubeaudit.views.registry import VIEWS

EXAMPLES = int(os.environ.get("KUBEAUDIT_HYPOTHESIS_EXAMPLES", "60"))
run_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 60,  # CI runs the same examples every time; long runs explore
)

scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["", "*", "0", "true", "RuntimeDefault", "Localhost", "ALL", "NET_RAW", "SYS_ADMIN"]),
)
junk = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the valid shape, sometimes any value at all (a wrong type, null)."""
    return st.one_of(valid, valid, valid, junk)


def fields(**spec: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A mapping with any subset of these fields, each valid or not; sometimes not a mapping."""
    return maybe(st.fixed_dictionaries({}, optional=spec))


names = st.sampled_from(["a", "b", "app", "web", "default", "kube-system", "system:masters", "*"])
labels = maybe(
    st.dictionaries(st.sampled_from(["app", "tier", "pod-security.kubernetes.io/enforce"]), names, max_size=3)
)
flag = maybe(st.booleans())
strings = maybe(names)
capabilities = fields(add=maybe(st.lists(strings, max_size=3)), drop=maybe(st.lists(strings, max_size=3)))
seccomp = fields(type=maybe(st.sampled_from(["RuntimeDefault", "Localhost", "Unconfined"])), localhostProfile=strings)
security_context = fields(
    privileged=flag,
    allowPrivilegeEscalation=flag,
    readOnlyRootFilesystem=flag,
    runAsNonRoot=flag,
    runAsUser=maybe(st.integers(min_value=-1, max_value=70000)),
    runAsGroup=maybe(st.integers(min_value=-1, max_value=70000)),
    procMount=maybe(st.sampled_from(["Default", "Unmasked"])),
    capabilities=capabilities,
    seccompProfile=seccomp,
    appArmorProfile=fields(type=strings, localhostProfile=strings),
    seLinuxOptions=fields(type=strings, user=strings, role=strings),
    windowsOptions=fields(hostProcess=flag),
    sysctls=maybe(st.lists(fields(name=strings, value=strings), max_size=2)),
)
probe = fields(httpGet=fields(host=strings, port=maybe(st.integers(0, 70000))), tcpSocket=fields(host=strings))
container = fields(
    name=strings,
    image=maybe(st.sampled_from(["nginx", "nginx:latest", "registry.example/app@sha256:" + "a" * 64, "a/b:c", ":"])),
    imagePullPolicy=strings,
    securityContext=security_context,
    ports=maybe(
        st.lists(fields(hostPort=maybe(st.integers(0, 70000)), containerPort=maybe(st.integers())), max_size=2)
    ),
    env=maybe(st.lists(fields(name=maybe(st.sampled_from(["PASSWORD", "API_TOKEN", "X"])), value=strings), max_size=2)),
    resources=fields(limits=maybe(st.dictionaries(names, strings)), requests=maybe(st.dictionaries(names, strings))),
    livenessProbe=probe,
    readinessProbe=probe,
    lifecycle=fields(postStart=probe, preStop=probe),
    volumeMounts=maybe(st.lists(fields(name=strings, readOnly=flag, mountPath=strings), max_size=2)),
)
pod_spec = fields(
    hostNetwork=flag,
    hostPID=flag,
    hostIPC=flag,
    automountServiceAccountToken=flag,
    serviceAccountName=strings,
    securityContext=security_context,
    containers=maybe(st.lists(container, max_size=2)),
    initContainers=maybe(st.lists(container, max_size=1)),
    ephemeralContainers=maybe(st.lists(container, max_size=1)),
    volumes=maybe(
        st.lists(fields(name=strings, hostPath=fields(path=strings, type=strings), emptyDir=junk), max_size=2)
    ),
)
metadata = fields(
    namespace=maybe(st.sampled_from(["default", "shop", "kube-system"])),
    labels=labels,
    annotations=maybe(st.dictionaries(st.sampled_from(["kubeaudit.io/ignore", "note"]), names, max_size=2)),
)
selector = fields(
    matchLabels=labels,
    matchExpressions=maybe(
        st.lists(fields(key=strings, operator=strings, values=maybe(st.lists(strings))), max_size=2)
    ),
)
peer = fields(podSelector=selector, namespaceSelector=selector, ipBlock=fields(cidr=strings, **{"except": junk}))
rule_entry = fields(
    apiGroups=maybe(st.lists(strings, max_size=2)),
    resources=maybe(st.lists(maybe(st.sampled_from(["pods", "secrets", "*", "pods/exec", "nodes/proxy"])), max_size=3)),
    verbs=maybe(st.lists(maybe(st.sampled_from(["get", "list", "create", "*", "impersonate", "bind"])), max_size=3)),
    resourceNames=maybe(st.lists(strings, max_size=1)),
    nonResourceURLs=maybe(st.lists(strings, max_size=1)),
)
subject = fields(kind=maybe(st.sampled_from(["User", "Group", "ServiceAccount"])), name=strings, namespace=strings)


def obj(api_version: str, kind: str, **body: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"apiVersion": st.just(api_version), "kind": st.just(kind), "metadata": metadata}, optional=body
    )


template = fields(metadata=metadata, spec=pod_spec)
KNOWN = [
    obj("v1", "Pod", spec=pod_spec),
    obj("apps/v1", "Deployment", spec=fields(selector=selector, template=template)),
    obj("apps/v1", "DaemonSet", spec=fields(template=template)),
    obj("batch/v1", "CronJob", spec=fields(jobTemplate=fields(spec=fields(template=template)))),
    obj("v1", "Namespace"),
    obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        spec=fields(
            podSelector=selector,
            policyTypes=maybe(st.lists(maybe(st.sampled_from(["Ingress", "Egress"])), max_size=2)),
            ingress=maybe(st.lists(fields(**{"from": maybe(st.lists(peer, max_size=2))}), max_size=2)),
            egress=maybe(st.lists(fields(to=maybe(st.lists(peer, max_size=2))), max_size=2)),
        ),
    ),
    obj("rbac.authorization.k8s.io/v1", "ClusterRole", rules=maybe(st.lists(rule_entry, max_size=2))),
    obj("rbac.authorization.k8s.io/v1", "Role", rules=maybe(st.lists(rule_entry, max_size=2))),
    obj(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        subjects=maybe(st.lists(subject, max_size=2)),
        roleRef=fields(kind=maybe(st.sampled_from(["ClusterRole", "Role"])), name=strings, apiGroup=strings),
    ),
    obj(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        subjects=maybe(st.lists(subject, max_size=2)),
        roleRef=fields(kind=maybe(st.sampled_from(["ClusterRole", "Role"])), name=strings, apiGroup=strings),
    ),
    obj("v1", "ServiceAccount", automountServiceAccountToken=flag),
]
# Every other kind a registered view reads (mesh, kubelet configuration, new families): junk specs.
VIEW_KINDS = sorted({kind for view in VIEWS.values() for kind in getattr(view, "all_kinds", None) or ()})
OTHERS = [obj("example.io/v1", kind, spec=junk, rules=junk, data=junk) for kind in VIEW_KINDS]
resources = st.lists(st.one_of(*KNOWN, *OTHERS), min_size=1, max_size=6)


# --- the newer rule families: each object in the API group and shape its view reads -----------------

quantity = maybe(st.sampled_from(["1", "500m", "1Gi", "100Mi", "0", "-1", "1e3", "2Ki", "x"]))
istio_selector = fields(matchLabels=labels)
tls_mode = maybe(st.sampled_from(["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL", "PASSTHROUGH", "AUTO_PASSTHROUGH"]))
mtls_mode = maybe(st.sampled_from(["STRICT", "PERMISSIVE", "DISABLE", "UNSET"]))
istio_names = st.sampled_from(["istio-system", "default", "shop", "*"])
auth_rule = fields(
    **{
        "from": maybe(
            st.lists(
                fields(
                    source=fields(
                        principals=maybe(st.lists(strings, max_size=2)),
                        namespaces=maybe(st.lists(maybe(istio_names), max_size=2)),
                        notNamespaces=maybe(st.lists(strings, max_size=1)),
                        ipBlocks=maybe(st.lists(strings, max_size=1)),
                        requestPrincipals=maybe(st.lists(strings, max_size=1)),
                    )
                ),
                max_size=2,
            )
        ),
        "to": maybe(
            st.lists(
                fields(
                    operation=fields(
                        methods=maybe(st.lists(strings, max_size=2)),
                        paths=maybe(st.lists(strings, max_size=2)),
                        ports=maybe(st.lists(strings, max_size=1)),
                    )
                ),
                max_size=2,
            )
        ),
        "when": maybe(st.lists(fields(key=strings, values=maybe(st.lists(strings, max_size=2))), max_size=1)),
    }
)
server = fields(
    port=fields(number=maybe(st.integers(0, 70000)), protocol=strings, name=strings),
    hosts=maybe(st.lists(maybe(st.sampled_from(["*", "shop/*", "example.com", "*/*"])), max_size=2)),
    tls=fields(mode=tls_mode, credentialName=strings, httpsRedirect=flag, minProtocolVersion=strings),
)
outbound = fields(mode=maybe(st.sampled_from(["ALLOW_ANY", "REGISTRY_ONLY"])))
mesh_config = fields(
    outboundTrafficPolicy=outbound,
    enableAutoMtls=flag,
    rootNamespace=maybe(istio_names),
    defaultConfig=fields(holdApplicationUntilProxyStarts=flag),
)
istio_values = fields(meshConfig=mesh_config, global_=junk, pilot=fields(env=junk))
mesh_text = st.builds(
    lambda data: data if isinstance(data, str) else _dump(data), st.one_of(mesh_config, st.text(max_size=20))
)


def _dump(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data)


def named(api_version: str, kind: str, name: str, namespace: str, **body: st.SearchStrategy[Any]) -> Any:
    """An object by a name a view looks for (istiod, the istio ConfigMap)."""
    meta = st.fixed_dictionaries({"name": st.just(name), "namespace": st.just(namespace)}, optional={"labels": labels})
    return st.fixed_dictionaries(
        {"apiVersion": st.just(api_version), "kind": st.just(kind), "metadata": meta}, optional=body
    )


injection_labels = maybe(
    st.dictionaries(
        st.sampled_from(
            ["istio-injection", "istio.io/rev", "istio.io/dataplane-mode", "pod-security.kubernetes.io/enforce"]
        ),
        st.sampled_from(["enabled", "disabled", "default", "ambient", "restricted"]),
        max_size=2,
    )
)
mesh_namespace = st.fixed_dictionaries(
    {
        "apiVersion": st.just("v1"),
        "kind": st.just("Namespace"),
        "metadata": st.fixed_dictionaries({"name": istio_names}, optional={"labels": injection_labels}),
    }
)
sidecar_pod = obj(
    "v1",
    "Pod",
    spec=pod_spec,
).map(lambda pod: _annotate(pod))


def _annotate(pod: dict[str, Any]) -> dict[str, Any]:
    metadata = pod.get("metadata")
    if isinstance(metadata, dict):
        metadata.setdefault("annotations", {"sidecar.istio.io/inject": "false"})
    return pod


flag_words = st.lists(
    st.sampled_from(
        [
            "--anonymous-auth=true",
            "--anonymous-auth=false",
            "--authorization-mode=AlwaysAllow",
            "--authorization-mode=Node,RBAC",
            "--enable-admission-plugins=AlwaysAdmit",
            "--enable-admission-plugins",
            "NodeRestriction",
            "--disable-admission-plugins=NodeRestriction",
            "--profiling",
            "--profiling=false",
            "--feature-gates=RotateKubeletServerCertificate=false",
            "--feature-gates=A=true",
            "--tls-min-version=VersionTLS10",
            "--tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA",
            "--audit-log-maxage=7",
            "--request-timeout=1h",
            "--request-timeout=x",
            "--bind-address=0.0.0.0",
            "--terminated-pod-gc-threshold=0x10",
            "--client-cert-auth=f",
            "--config=/etc/s.conf",
            "--config-file=/etc/e.yml",
            "--service-account-extend-token-expiration",
            "--",
            "-",
            "=",
            "--=x",
        ]
    ),
    max_size=8,
)
control_plane_pod = st.builds(
    lambda component, words, junk_value, namespace: {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"namespace": namespace},
        "spec": {
            "containers": [
                {
                    "name": component,
                    "image": f"registry.k8s.io/{component}:v1.37.1",
                    "command": [f"/usr/local/bin/{component}", *words, junk_value],
                    "env": [{"name": "ETCD_CLIENT_CERT_AUTH", "value": "false"}],
                }
            ]
        },
    },
    st.sampled_from(["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"]),
    flag_words,
    junk,
    st.sampled_from(["kube-system", "default"]),
)
kubelet_configuration = obj(
    "kubelet.config.k8s.io/v1beta1",
    "KubeletConfiguration",
    authentication=fields(anonymous=fields(enabled=flag), webhook=fields(enabled=flag)),
    authorization=fields(mode=maybe(st.sampled_from(["Webhook", "AlwaysAllow"]))),
    readOnlyPort=maybe(st.integers(-1, 70000)),
    protectKernelDefaults=flag,
    rotateCertificates=flag,
    serverTLSBootstrap=flag,
    featureGates=maybe(st.dictionaries(st.sampled_from(["RotateKubeletServerCertificate", "X"]), junk, max_size=2)),
    eventRecordQPS=maybe(st.integers(-1, 100)),
    tlsCipherSuites=maybe(st.lists(strings, max_size=2)),
    tlsMinVersion=maybe(st.sampled_from(["VersionTLS10", "VersionTLS13", ""])),
    streamingConnectionIdleTimeout=maybe(st.sampled_from(["0", "0s", "4h0m0s", "5m", "1x", ""])),
    makeIPTablesUtilChains=flag,
)
FAMILIES = [
    # mesh (Istio): policies, gateways, sidecars, the mesh's own configuration and istiod
    obj(
        "security.istio.io/v1",
        "PeerAuthentication",
        spec=fields(
            selector=istio_selector,
            mtls=fields(mode=mtls_mode),
            portLevelMtls=maybe(
                st.dictionaries(st.sampled_from(["80", "8080", "x"]), fields(mode=mtls_mode), max_size=2)
            ),
        ),
    ),
    obj(
        "security.istio.io/v1beta1",
        "AuthorizationPolicy",
        spec=fields(
            selector=istio_selector,
            action=maybe(st.sampled_from(["ALLOW", "DENY", "AUDIT", "CUSTOM"])),
            rules=maybe(st.lists(auth_rule, max_size=2)),
            provider=fields(name=strings),
        ),
    ),
    obj(
        "security.istio.io/v1",
        "RequestAuthentication",
        spec=fields(
            selector=istio_selector,
            jwtRules=maybe(st.lists(fields(issuer=strings, jwksUri=strings), max_size=2)),
        ),
    ),
    obj(
        "networking.istio.io/v1",
        "Gateway",
        spec=fields(
            selector=maybe(
                st.dictionaries(st.just("istio"), st.sampled_from(["ingressgateway", "egress"]), max_size=1)
            ),
            servers=maybe(st.lists(server, max_size=2)),
        ),
    ),
    obj(
        "networking.istio.io/v1beta1",
        "DestinationRule",
        spec=fields(
            host=strings,
            trafficPolicy=fields(
                tls=fields(mode=tls_mode),
                portLevelSettings=maybe(st.lists(fields(tls=fields(mode=tls_mode)), max_size=1)),
            ),
        ),
    ),
    obj(
        "networking.istio.io/v1",
        "Sidecar",
        spec=fields(
            workloadSelector=fields(labels=labels),
            outboundTrafficPolicy=outbound,
            egress=maybe(st.lists(fields(hosts=maybe(st.lists(strings, max_size=2))), max_size=1)),
        ),
    ),
    obj(
        "networking.istio.io/v1",
        "ServiceEntry",
        spec=fields(
            hosts=maybe(st.lists(strings, max_size=2)),
            location=maybe(st.sampled_from(["MESH_EXTERNAL", "MESH_INTERNAL"])),
            resolution=strings,
            ports=maybe(st.lists(fields(number=maybe(st.integers(0, 70000)), protocol=strings), max_size=1)),
        ),
    ),
    obj(
        "networking.istio.io/v1",
        "VirtualService",
        spec=fields(
            hosts=maybe(st.lists(strings, max_size=2)),
            gateways=maybe(st.lists(strings, max_size=2)),
            http=junk,
        ),
    ),
    obj("install.istio.io/v1alpha1", "IstioOperator", spec=fields(meshConfig=mesh_config, values=istio_values)),
    named("v1", "ConfigMap", "istio", "istio-system", data=fields(mesh=mesh_text, meshNetworks=strings)),
    named("apps/v1", "Deployment", "istiod", "istio-system", spec=fields(selector=selector, template=template)),
    named(
        "helm.toolkit.fluxcd.io/v2",
        "HelmRelease",
        "istiod",
        "istio-system",
        spec=fields(
            chart=fields(spec=fields(chart=maybe(st.sampled_from(["istiod", "base"])))),
            values=istio_values,
            valuesFrom=junk,
        ),
    ),
    named(
        "argoproj.io/v1alpha1",
        "Application",
        "istiod",
        "argocd",
        spec=fields(
            source=fields(
                chart=maybe(st.sampled_from(["istiod", "other"])),
                helm=fields(
                    values=maybe(mesh_text),
                    valuesObject=istio_values,
                    parameters=maybe(st.lists(fields(name=strings, value=strings), max_size=2)),
                ),
            ),
            destination=fields(namespace=maybe(istio_names)),
        ),
    ),
    obj("v1", "Secret", type=strings, data=maybe(st.dictionaries(st.sampled_from(["tls.crt", "tls.key"]), strings))),
    obj(
        "v1",
        "Service",
        spec=fields(
            selector=labels,
            ports=maybe(
                st.lists(
                    fields(port=maybe(st.integers(0, 70000)), name=strings, appProtocol=strings, targetPort=junk),
                    max_size=2,
                )
            ),
            type=maybe(st.sampled_from(["ClusterIP", "NodePort", "LoadBalancer"])),
        ),
    ),
    mesh_namespace,
    sidecar_pod,
    # control plane and kubelet
    control_plane_pod,
    kubelet_configuration,
    # governance: quotas and limit ranges
    obj(
        "v1",
        "ResourceQuota",
        spec=fields(
            hard=maybe(
                st.dictionaries(st.sampled_from(["limits.cpu", "requests.memory", "pods", "cpu"]), quantity, max_size=3)
            ),
            scopes=maybe(st.lists(strings, max_size=1)),
        ),
    ),
    obj(
        "v1",
        "LimitRange",
        spec=fields(
            limits=maybe(
                st.lists(
                    fields(
                        type=maybe(st.sampled_from(["Container", "Pod", "PersistentVolumeClaim"])),
                        default=maybe(st.dictionaries(st.sampled_from(["cpu", "memory"]), quantity, max_size=2)),
                        defaultRequest=maybe(st.dictionaries(st.sampled_from(["cpu", "memory"]), quantity, max_size=2)),
                        max=maybe(st.dictionaries(st.sampled_from(["cpu", "memory"]), quantity, max_size=2)),
                        min=maybe(st.dictionaries(st.sampled_from(["cpu", "memory"]), quantity, max_size=2)),
                    ),
                    max_size=2,
                )
            )
        ),
    ),
    # versions: nodes, and objects at deprecated or removed API versions
    obj(
        "v1",
        "Node",
        status=fields(
            nodeInfo=fields(
                kubeletVersion=maybe(st.sampled_from(["v1.37.1", "v1.20.0", "v1.99.0", "1.30", "x"])),
                containerRuntimeVersion=maybe(
                    st.sampled_from(["containerd://2.1.0", "docker://20.10.0", "cri-o://1.2", ""])
                ),
                kernelVersion=strings,
                osImage=strings,
            )
        ),
    ),
    obj("extensions/v1beta1", "Deployment", spec=fields(template=template)),
    obj("batch/v1beta1", "CronJob", spec=fields(jobTemplate=fields(spec=fields(template=template)))),
    obj("policy/v1beta1", "PodSecurityPolicy", spec=fields(privileged=flag, hostNetwork=flag)),
    obj(
        "autoscaling/v2beta2", "HorizontalPodAutoscaler", spec=fields(scaleTargetRef=fields(kind=strings, name=strings))
    ),
    obj("rbac.authorization.k8s.io/v1beta1", "ClusterRole", rules=maybe(st.lists(rule_entry, max_size=1))),
    obj("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", spec=junk),
    # images: signature admission policies
    obj(
        "kyverno.io/v1",
        "ClusterPolicy",
        spec=fields(
            rules=maybe(
                st.lists(
                    fields(
                        name=strings,
                        verifyImages=maybe(
                            st.lists(
                                fields(imageReferences=maybe(st.lists(strings, max_size=2)), attestors=junk), max_size=1
                            )
                        ),
                    ),
                    max_size=2,
                )
            ),
            validationFailureAction=maybe(st.sampled_from(["Enforce", "Audit"])),
        ),
    ),
    obj(
        "policy.sigstore.dev/v1beta1",
        "ClusterImagePolicy",
        spec=fields(
            images=maybe(st.lists(fields(glob=strings), max_size=2)),
            authorities=junk,
            mode=strings,
        ),
    ),
]
family_resources = st.lists(st.one_of(*FAMILIES, *KNOWN), min_size=1, max_size=8)
FAMILY_KINDS = [
    "Secret",
    "PeerAuthentication",
    "AuthorizationPolicy",
    "ConfigMap",
    "Node",
    "KubeletConfiguration",
    "ResourceQuota",
    "LimitRange",
    "Namespace",
    "Service",
    "Gateway",
    "ClusterPolicy",
]
