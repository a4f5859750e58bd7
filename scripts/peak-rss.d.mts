/** This process's own peak resident memory in MB (VmHWM; maxRSS where /proc is absent). */
export function peakRssMb(): number;
