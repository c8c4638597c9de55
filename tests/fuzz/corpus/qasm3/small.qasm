OPENQASM 3.0;
include "stdgates.inc";
bit[2] c;
rz(0.5) $0;
sx $1;
cz $0, $1;
c[0] = measure $0;
reset $0;
c[1] = measure $1;
