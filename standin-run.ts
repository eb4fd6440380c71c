import { KubernetesApiStandIn } from '/work/wt-kube/test/kubernetes-stand-in/index.js';
const s = new KubernetesApiStandIn({ bookmarkIntervalMs: 1000 });
await s.start(0);
s.kubeconfig('/tmp/kube-standin.yaml');
console.log('port', s.port);
process.on('SIGTERM', () => { console.log(JSON.stringify(s.requests.map(r=>`${r.method} ${r.path} ${JSON.stringify(r.query)} ${r.status}`), null, 1)); process.exit(0); });
