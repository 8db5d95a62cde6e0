"""python3 bench/heap-diff.py A.heapsnapshot B.heapsnapshot: what grew between two V8 heap
snapshots, by node type and name (count and self size), largest growth first."""
import json, sys
from collections import Counter

def load(path):
    snap = json.load(open(path))
    meta = snap['snapshot']['meta']
    fields = meta['node_fields']
    types = meta['node_types'][0]
    strings = snap['strings']
    nodes = snap['nodes']
    width = len(fields)
    ti, ni, si = fields.index('type'), fields.index('name'), fields.index('self_size')
    count, size = Counter(), Counter()
    for i in range(0, len(nodes), width):
        key = (types[nodes[i + ti]], strings[nodes[i + ni]][:80])
        count[key] += 1
        size[key] += nodes[i + si]
    return count, size

(ca, sa), (cb, sb) = load(sys.argv[1]), load(sys.argv[2])
print('total self size: %.1f MB -> %.1f MB' % (sum(sa.values()) / 2**20, sum(sb.values()) / 2**20))
keys = set(sa) | set(sb)
rows = sorted(keys, key=lambda k: sb[k] - sa[k], reverse=True)[:25]
for k in rows:
    print('%+10d B %+8d  %-10s %s' % (sb[k] - sa[k], cb[k] - ca[k], k[0], k[1]))
