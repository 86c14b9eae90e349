/** Every einsum the attention pass uses, with operand shapes whose labels are distinct in size. */
export const attentionEquations: [string, number[], number[]][] = [
  ['bkgc,gch->bkgh', [3, 2, 2, 5], [2, 5, 4]],
  ['bkgh,ghc->bkgc', [3, 1, 2, 4], [2, 4, 5]],
  ['gmx,gmxjwch->jwch', [2, 6, 1], [2, 6, 1, 3, 1, 4, 2]],
  ['jwch,gmxjwch->gmx', [3, 1, 4, 2], [2, 6, 1, 3, 1, 4, 2]],
  ['bkgh,bkgc->ghc', [3, 1, 2, 4], [3, 1, 2, 5]],
  ['bkgc,bkgh->gch', [3, 2, 2, 5], [3, 2, 2, 4]],
  ['bkgh,kl->blgh', [3, 2, 2, 4], [2, 2]],
  ['blgh,gch->blgc', [3, 2, 2, 4], [2, 5, 4]]
]
