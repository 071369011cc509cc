export const HELP = 'select an option from the list, then update the form';

export function describe(name: string) {
  return `Delete from the list the item called ${name}`;
}
