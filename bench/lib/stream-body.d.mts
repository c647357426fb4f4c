export function streamBody(res: import('node:http').ServerResponse, size: number): void;
