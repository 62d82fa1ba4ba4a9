// What several of the mock's tests send.

/** The X-Api-* headers of a signed gateway call, with values the mock accepts (it checks shape, not signatures). */
export const SIGNED = {
  'X-Api-ClientID': 'client',
  'X-Api-Signature': 'c2lnbmF0dXJl',
  'X-Api-Auth-Version': '2.0',
  'X-Api-TimeStamp': '1700000000000',
  'X-Api-Nonce': '42',
  'X-Api-SignHeaders': 'X-Api-TimeStamp,X-Api-Nonce',
};
